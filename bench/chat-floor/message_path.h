/*
 * chatd's statements for one stored message (post_message -> append_message), prepared once and
 * run in chatd's order; message_path.c has their text and says where each comes from.
 */
#ifndef CHAT_FLOOR_MESSAGE_PATH_H
#define CHAT_FLOOR_MESSAGE_PATH_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

struct message_path {
  sqlite3_stmt *find_room, *is_member, *find_dup, *begin, *author_name, *bump, *insert, *commit;
};

/* One message as chatd gets it: a sender's text in their room, with its idempotency key
 * (id_len 0: none). */
struct message {
  int64_t room_id, author_id, created_at;
  const char *text;
  size_t text_len;
  const char *client_id;
  size_t id_len;
};

void prepare_message_path(struct message_path *path);
void finalize_message_path(struct message_path *path);

/* BEGIN IMMEDIATE / COMMIT, as prepared statements (chatd caches them too). */
void begin_write(const struct message_path *path);
void commit_write(const struct message_path *path);

/* post_message's reads before the write transaction: find_room, is_member, and
 * append_message's first resend check (no lock held). */
void read_before_write(const struct message_path *path, const struct message *m);
/* Inside the write transaction: the resend check again (under the lock) and the author's name
 * for the answer. */
void read_under_lock(const struct message_path *path, const struct message *m);
/* The write: bump the room's seq, insert the message with it. */
void store_message(const struct message_path *path, const struct message *m);

#endif
