"""The idempotency store: one outcome per command_id, shared by every replica (Redis) or per process (memory).

A replica *claims* a command before calling the provider (a lease with an owner token), *extends* the lease
while the command waits in a retry queue, and *finishes* it by storing the outcome event before publishing
it. A duplicate finds the stored event (republished as is, same event_id), a lease held by someone else
(try again later), or a different payload under the same id (conflict).
"""
