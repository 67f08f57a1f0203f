"""The IRO dispute ladder (docs/digest-and-disputes.md): `ladder` is pure (stage deadlines, RAG, annual report);
`service`
holds the use cases the CLI and the daemon call."""
