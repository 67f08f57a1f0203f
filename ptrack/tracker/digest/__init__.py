"""The weekly manager digest: `build` (pure), `render` (text, CSV, JSON, HTML email) and `service` (read from
the store; queue each manager's digest through the outbox)."""
