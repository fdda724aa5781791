// Types shared with Rust, generated from the Rust types by ts-rs into ./bindings
// (`SCIMDESK_WRITE_BINDINGS=1 cargo test -p scimdesk bindings` rewrites them; the test fails when
// they are stale). Only re-exported here, under one roof.
export type { ActivityEntry } from "./bindings/ActivityEntry";
export type { ActivityFilter } from "./bindings/ActivityFilter";
export type { ActivityLogSize } from "./bindings/ActivityLogSize";
export type { ActivitySettings } from "./bindings/ActivitySettings";
export type { AppError } from "./bindings/AppError";
export type { ChangeEvent } from "./bindings/ChangeEvent";
export type { ConnectionView } from "./bindings/ConnectionView";
export type { Employee } from "./bindings/Employee";
export type { EmployeeDetail } from "./bindings/EmployeeDetail";
export type { EmployeeListQuery } from "./bindings/EmployeeListQuery";
export type { EmployeePage } from "./bindings/EmployeePage";
export type { EndpointStatus } from "./bindings/EndpointStatus";
export type { GroupRef } from "./bindings/GroupRef";
export type { LastContact } from "./bindings/LastContact";
export type { NewBaseUrl } from "./bindings/NewBaseUrl";
export type { NoticeKind } from "./bindings/NoticeKind";
export type { NotificationSettings } from "./bindings/NotificationSettings";
export type { NotifiedKind } from "./bindings/NotifiedKind";
export type { Overview } from "./bindings/Overview";
export type { AffectedConnection } from "./bindings/AffectedConnection";
export type { ReachabilityCause } from "./bindings/ReachabilityCause";
export type { ReachabilityWindow } from "./bindings/ReachabilityWindow";
export type { RefusedRequests } from "./bindings/RefusedRequests";
export type { Rehearsal } from "./bindings/Rehearsal";
export type { RehearsalNote } from "./bindings/RehearsalNote";
export type { Retention } from "./bindings/Retention";
export type { StatusChoice } from "./bindings/StatusChoice";
export type { Step } from "./bindings/Step";
export type { TunnelInput } from "./bindings/TunnelInput";
export type { TunnelSetting } from "./bindings/TunnelSetting";
export type { TunnelState } from "./bindings/TunnelState";
export type { TunnelStatus } from "./bindings/TunnelStatus";
export type { UrlChange } from "./bindings/UrlChange";
