"""App-side code the pages share, by concern: session (the connection and caches), signin (the gate and guards),
widgets (period picker, tables, benchmark panel), text (formatting, inert customer text) and downloads (exports).
Pages import from these modules; nothing here computes a metric."""
