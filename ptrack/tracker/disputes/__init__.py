"""The IRO dispute ladder (SPEC §6): `ladder` is pure (stage deadlines, RAG, the annual report); `service`
holds the use cases the CLI and the daemon call."""
