// Recorded from the real core by `SCIMDESK_WRITE_BINDINGS=1 cargo test -p scimdesk bindings`
// (src-tauri/core/src/mock_recording.rs), which fails when this file is stale. For the browser
// mock only. Connection ids are `{id}`.
import type { ActivitySettings, AppError, ReachabilityWindow, TunnelStatus } from "./types";

/** The tunnel's status in each state the mock shows (connections: "Okta production", "Okta sandbox"). */
export const TUNNEL = {
  "none": {
    "mode": "none",
    "setting": {
      "mode": "none"
    },
    "state": {
      "state": "off"
    },
    "public_url": "http://127.0.0.1:8742",
    "reachable_by_okta": false,
    "stable": true,
    "last_error": null,
    "url_changed": null
  },
  "starting": {
    "mode": "cloudflared",
    "setting": {
      "mode": "cloudflared"
    },
    "state": {
      "state": "starting"
    },
    "public_url": "http://127.0.0.1:8742",
    "reachable_by_okta": false,
    "stable": false,
    "last_error": null,
    "url_changed": null
  },
  "url_changed": {
    "mode": "cloudflared",
    "setting": {
      "mode": "cloudflared"
    },
    "state": {
      "state": "online",
      "url": "https://glad-otter-river-lamp.trycloudflare.com"
    },
    "public_url": "https://glad-otter-river-lamp.trycloudflare.com",
    "reachable_by_okta": true,
    "stable": false,
    "last_error": null,
    "url_changed": {
      "from": "https://quiet-maple-stone-harbor.trycloudflare.com",
      "to": "https://glad-otter-river-lamp.trycloudflare.com",
      "base_urls": [
        {
          "connection_id": "{id}",
          "name": "Okta production",
          "base_url": "https://glad-otter-river-lamp.trycloudflare.com/scim/v2/{id}"
        },
        {
          "connection_id": "{id}",
          "name": "Okta sandbox",
          "base_url": "https://glad-otter-river-lamp.trycloudflare.com/scim/v2/{id}"
        }
      ]
    }
  },
  "online": {
    "mode": "cloudflared",
    "setting": {
      "mode": "cloudflared"
    },
    "state": {
      "state": "online",
      "url": "https://glad-otter-river-lamp.trycloudflare.com"
    },
    "public_url": "https://glad-otter-river-lamp.trycloudflare.com",
    "reachable_by_okta": true,
    "stable": false,
    "last_error": null,
    "url_changed": null
  },
  "failed": {
    "mode": "cloudflared",
    "setting": {
      "mode": "cloudflared"
    },
    "state": {
      "state": "failed",
      "reason": "cloudflared exited: failed to reach the Cloudflare edge (timeout)",
      "retry_at": "2026-01-01T12:00:00Z"
    },
    "public_url": "https://glad-otter-river-lamp.trycloudflare.com",
    "reachable_by_okta": true,
    "stable": false,
    "last_error": "cloudflared exited: failed to reach the Cloudflare edge (timeout)",
    "url_changed": null
  },
  "own": {
    "mode": "own",
    "setting": {
      "mode": "own",
      "url": "https://scim.northwind.example"
    },
    "state": {
      "state": "off"
    },
    "public_url": "https://scim.northwind.example",
    "reachable_by_okta": true,
    "stable": true,
    "last_error": null,
    "url_changed": null
  }
} satisfies Record<string, TunnelStatus>;

/** A connection's base URL: `{public_url}` and `{id}` filled in. */
export const BASE_URL = "{public_url}/scim/v2/{id}";

export const ACTIVITY_SETTINGS = {
  "retention": {
    "days": 180,
    "lines": 1000000
  },
  "defaults": {
    "days": 180,
    "lines": 1000000
  },
  "size": {
    "lines": 0,
    "oldest_at": null
  }
} satisfies ActivitySettings;

/** The core's refusals, word for word ("name_taken" for the name "okta production", `{port}` for the port taken). */
export const ERRORS = {
  "name_empty": {
    "message": "The connection needs a name",
    "field": "name"
  },
  "name_taken": {
    "message": "A connection named 'okta production' already exists; choose another name",
    "field": "name"
  },
  "name_too_long": {
    "message": "The name is 65 characters long; use at most 64",
    "field": "name"
  },
  "token_not_kept": {
    "message": "The token of Okta production was shown once, when the connection was added: SCIM Desk runs in server mode and keeps only a digest of it, so it cannot be shown again. If it is lost, choose Regenerate token in the connection's menu and paste the new one into the identity provider.",
    "field": null
  },
  "public_url_http": {
    "message": "'http://scim.northwind.example' cannot be the public URL: Okta only calls HTTPS URLs; use the https:// address of your tunnel",
    "field": "url"
  },
  "cloudflared_no_token": {
    "message": "A named tunnel needs its token, and none is saved yet: copy it from the Cloudflare dashboard (Zero Trust › Networks › Tunnels) and paste it here.",
    "field": "token"
  },
  "ngrok_no_authtoken": {
    "message": "ngrok needs an authtoken, and none is saved yet: copy yours from https://dashboard.ngrok.com/get-started/your-authtoken and paste it here.",
    "field": "authtoken"
  },
  "retention_days": {
    "message": "'0' is not a number of days to keep activity for: give 1 to 36,500 (180 by default)",
    "field": "days"
  },
  "retention_lines": {
    "message": "'5' is not a number of activity lines to keep: give 100 to 1,000,000,000 (1,000,000 by default)",
    "field": "lines"
  },
  "port_low": {
    "message": "80 is not a port SCIM Desk can use: choose a number from 1024 to 65535",
    "field": "port"
  },
  "port_taken": {
    "message": "Another program is already using 127.0.0.1:{port}: choose another port.",
    "field": "port"
  }
} satisfies Record<string, AppError>;

/** Reachability windows, newest first (times in December 2026; the mock moves them to now): a restart of 3 minutes, a night not running, the Okta switch off, the computer asleep. */
export const REACHABILITY = [
  {
    "id": 4,
    "cause": "not_running",
    "started_at": "2026-12-08T08:00:00.000Z",
    "ended_at": "2026-12-08T08:03:00.000Z",
    "seconds": 180.0,
    "clean_stop": true,
    "connections": [
      {
        "id": "{id}",
        "name": "Okta production"
      },
      {
        "id": "{id}",
        "name": "Okta sandbox"
      }
    ],
    "dismissed": false
  },
  {
    "id": 3,
    "cause": "not_running",
    "started_at": "2026-12-07T22:10:00.000Z",
    "ended_at": "2026-12-08T07:45:00.000Z",
    "seconds": 34500.0,
    "clean_stop": false,
    "connections": [
      {
        "id": "{id}",
        "name": "Okta production"
      },
      {
        "id": "{id}",
        "name": "Okta sandbox"
      }
    ],
    "dismissed": false
  },
  {
    "id": 2,
    "cause": "okta_off",
    "started_at": "2026-12-07T15:00:00.000Z",
    "ended_at": "2026-12-07T15:20:00.000Z",
    "seconds": 1200.0,
    "clean_stop": null,
    "connections": [
      {
        "id": "{id}",
        "name": "Okta production"
      },
      {
        "id": "{id}",
        "name": "Okta sandbox"
      }
    ],
    "dismissed": false
  },
  {
    "id": 1,
    "cause": "asleep",
    "started_at": "2026-12-07T12:30:00.000Z",
    "ended_at": "2026-12-07T13:45:00.000Z",
    "seconds": 4500.0,
    "clean_stop": null,
    "connections": [
      {
        "id": "{id}",
        "name": "Okta production"
      },
      {
        "id": "{id}",
        "name": "Okta sandbox"
      }
    ],
    "dismissed": false
  }
] satisfies ReachabilityWindow[];
