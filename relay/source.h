/*
 * source.h - where events come from: nanomsg messages from the workers (the fast path)
 * and the change log (the truth).
 *
 * A message (message.h) says "seq N is committed", and most carry the entry itself: N at
 * or below the head is a duplicate and dropped; N = head + 1 with its entry is delivered
 * at once, from the message (the frame is what the change log's row makes, byte for
 * byte); anything else above the head (a doorbell, a gap: a lost message, two workers
 * publishing out of order) makes the relay deliver every change log entry after its head,
 * in seq order. Seqs are taken in commit order, so once N is visible every lower committed
 * seq is too.
 */
#ifndef RELAY_SOURCE_H
#define RELAY_SOURCE_H

#include <stdint.h>

#include "relay.h"

/*
 * Opens a nanomsg SUB socket subscribed to everything, binds it to each address in
 * r->cfg->relay_sub (space-separated, tcp:// or ipc://) and joins it to r->base. No address:
 * no socket (the change log poll alone feeds the relay). 0, or -1 (logged).
 */
int source_open(struct relay *r);

/* Closes the nanomsg socket, if any. */
void source_close(struct relay *r);

/*
 * Delivers every change log entry with r->head < seq <= UPTO, in seq order, a batch at a
 * time: into the ring, then to the live streams; r->head follows. Stops early when the
 * database is unavailable (the next poll goes on).
 */
void source_advance(struct relay *r, int64_t upto);

/*
 * Compares the change log's newest seq with the head: learns the head when it is not yet
 * known, delivers what messages missed, and starts over when the log went backwards.
 */
void source_poll(struct relay *r);

#endif
