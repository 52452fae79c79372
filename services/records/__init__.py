"""Records kept for every workflow: the hash-chained audit trail, generic records with
optimistic concurrency, quarantined and dead-lettered messages, device events, sync runs, and
the mail templates of ``notify``."""
