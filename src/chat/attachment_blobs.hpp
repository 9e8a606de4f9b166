#pragma once
// Removing the blobs of attachments that are gone (a deleted message, an expired or withdrawn
// upload), on a store worker, after the transaction that removed their rows committed.
//
// Blobs are content-addressed: an upload of the same bytes reuses the blob. Between the commit
// that left a blob unused and its removal here, such an upload may store a row naming it again
// (its put_attachment found the file still there, so wrote nothing). Two things keep that row
// from ending up without its file, whatever the interleaving:
//   - here, each blob is asked about again (Store::attachment_blob_used) and kept if used; if it
//     is not, its bytes are read, it is removed, and it is asked about once more: used by now,
//     the bytes are put back;
//   - the upload puts its blobs again after its row committed (put_attachment writes only when
//     the file is missing), so a removal that came after this function's last look is undone.
// An upload commits either before the last look here (the bytes are put back) or after it, and
// so after the removal (its own second put writes the file).
#include <string>
#include <vector>

#include "blob/blob_store.hpp"
#include "store/store.hpp"

namespace dchat::chat {

// Removes those of `ids` no attachment uses; returns how many it removed. Errors are logged.
size_t remove_unused_attachment_blobs(store::Store& store, blob::BlobStore& blobs, const std::vector<std::string>& ids);

}  // namespace dchat::chat
