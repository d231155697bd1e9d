"""The remote engine: the Store contract over a trainboard server's HTTP API, with the outbox
and spool that keep a training process's writes while the server is away."""
