// A page under Settings (General, Notifications, Activity log): the breadcrumb, the title and a
// lede, then its cards once the settings they show have loaded (or why they could not).
import type { UseQueryResult } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { errorMessage } from "../lib/errors";

export function SettingsPage<T>({
  title,
  lede,
  settings,
  children,
}: {
  title: string;
  lede: ReactNode;
  settings: UseQueryResult<T>;
  children: (data: T) => ReactNode;
}) {
  const data = settings.data;
  return (
    <div className="page">
      <header className="page-header">
        <div className="page-header-main">
          <nav className="breadcrumb" aria-label="Breadcrumb">
            <ol>
              <li><a href="#/settings/integrations">Settings</a></li>
              <li aria-current="page">{title}</li>
            </ol>
          </nav>
          <h1 className="page-title">{title}</h1>
          <p className="page-lede">{lede}</p>
        </div>
      </header>
      {settings.error && data === undefined && (
        <p className="field-error" role="alert">
          {errorMessage(settings.error)}
        </p>
      )}
      {data !== undefined ? children(data) : !settings.error && <p className="muted">Loading…</p>}
    </div>
  );
}
