/* A fresh chatd database: every migration, then one sender per room (see schema.c). */
#ifndef CHAT_FLOOR_SCHEMA_H
#define CHAT_FLOOR_SCHEMA_H

#include <stdint.h>

/* apply_sqlite_migrations: v1..v4 in one write transaction, stamped `now_ms`. */
void apply_migrations(int64_t now_ms);

/* One sender per room, each a member of its room (create_user, create_public_room, add_member),
 * like bench/overload.mjs: user r and room r have id r (room 1 is "general"). */
void create_senders(long rooms, int64_t now_ms);

#endif
