#pragma once
// Turns an uploaded profile photo into the two images the chat serves (docs/CHAT_PROTOCOL.md,
// GET /avatars/{hash}.webp and {hash}-64.webp): square, centre-cropped, upright, WebP, with every
// piece of metadata removed (EXIF carries GPS positions and camera serials; nobody asked to
// publish those).
//
// The upload is untrusted: the type comes from the magic bytes only (never the file name or the
// client's Content-Type), libvips only ever sees it through the loader those bytes name, and the
// image's size is checked from its header before any pixel is decoded, so a small file claiming
// 100000 x 100000 pixels costs nothing.
//
// Blocking and CPU-heavy (tens of milliseconds): call it from worker threads, never from an I/O
// thread. Safe to call from several threads at once.
#include <cstdint>
#include <string>
#include <string_view>

namespace dchat::chat {

enum class ImageType { unknown, jpeg, png, gif, webp };

// The type named by the first bytes: JPEG FF D8 FF, PNG 89 50 4E 47 0D 0A 1A 0A, GIF87a/GIF89a,
// WebP "RIFF" <size> "WEBP". Anything else is unknown.
ImageType sniff_image_type(std::string_view bytes) noexcept;

enum class AvatarError {
  none = 0,
  unsupported_type,      // not JPEG/PNG/GIF/WebP by its magic bytes  → 415 unsupported_type
  decode_failed,         // corrupt or truncated                      → 400 bad_upload
  too_large_dimensions,  // over the pixel or side limits             → 413 too_large
};

const char* avatar_error_message(AvatarError e) noexcept;

struct AvatarLimits {
  // Refused from the header, before decoding. 8000 px covers every phone camera's long side in
  // its default mode; 40 megapixels bounds the decode memory (~160 MB at 4 bytes a pixel, though
  // streaming keeps the real peak far lower).
  int max_side = 8000;
  uint64_t max_pixels = 40'000'000;
  int large_size = 256;  // the avatar shown in profiles
  int small_size = 64;   // the one shown next to messages
  int webp_quality = 82;  // no visible artefacts on faces at these sizes, ~10 KB per 256 px image
};

struct AvatarImages {
  AvatarError error = AvatarError::none;
  std::string large;   // WebP, large_size x large_size
  std::string small;   // WebP, small_size x small_size
  std::string detail;  // libvips' explanation of a decode failure: for logs, not for clients
  explicit operator bool() const noexcept { return error == AvatarError::none; }
};

// Starts libvips: call once from main() with argv[0] before any worker thread calls
// process_avatar (later calls do nothing). process_avatar calls it itself if nobody did, but
// VIPS_INIT is not meant to race with other libvips use. Throws std::runtime_error on failure.
void init_image_library(const char* argv0);

// Sniffs, checks, decodes (first frame only, EXIF orientation applied), centre-crops to a square
// and encodes the two sizes.
AvatarImages process_avatar(std::string_view bytes, const AvatarLimits& limits = {});

// Images attached to messages go through the same pipeline (type from the magic bytes, the
// loader it names only, dimensions from the header before decoding, every piece of metadata
// left out), with AvatarError as its errors; the picture is kept whole, not cropped.
struct AttachmentLimits {
  int max_side = 8000;               // as AvatarLimits
  uint64_t max_pixels = 40'000'000;
  int full_size = 2048;              // the full image fits full_size x full_size (never enlarged)
  int thumb_size = 400;              // the timeline's thumbnail fits thumb_size x thumb_size
  int webp_quality = 82;
};

struct AttachmentImages {
  AvatarError error = AvatarError::none;
  std::string full;   // WebP
  std::string thumb;  // WebP
  int width = 0;      // of full
  int height = 0;
  int thumb_width = 0;
  int thumb_height = 0;
  std::string detail;  // libvips' explanation of a decode failure: for logs, not for clients
  explicit operator bool() const noexcept { return error == AvatarError::none; }
};

AttachmentImages process_attachment(std::string_view bytes, const AttachmentLimits& limits = {});

}  // namespace dchat::chat
