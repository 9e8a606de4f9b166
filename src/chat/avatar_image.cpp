#include "chat/avatar_image.hpp"

#include <vips/vips8>

#include <cstring>
#include <mutex>
#include <stdexcept>

namespace dchat::chat {

namespace {

std::once_flag g_init_once;
bool g_init_ok = false;
std::string g_init_error;

void init_once(const char* argv0) {
  if (VIPS_INIT(argv0 ? argv0 : "chatd") != 0) {
    g_init_error = vips_error_buffer();
    vips_error_clear();
    return;
  }
  // Loaders libvips flags as unsafe for untrusted input (ImageMagick, MATLAB, FITS, ...) are never
  // needed for the four formats accepted: block them, so no code path can reach them.
  vips_block_untrusted_set(TRUE);
  // The operation cache reuses results of identical calls; every upload is different, so it would
  // only keep other users' decoded pixels in memory.
  vips_cache_set_max(0);
  // Avatars are processed on the server's worker threads, which already run side by side; one
  // libvips worker per image keeps a burst of uploads from starting cores x cores threads.
  vips_concurrency_set(1);
  // libvips reports bad uploads ("not enough data", "error in tile") as GLib warnings printed on
  // stderr, outside the server's log, once per broken file anyone sends. The failure itself
  // reaches the caller as AvatarImages::error/detail, which is where it gets logged.
  g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING, [](const gchar*, GLogLevelFlags, const gchar*, gpointer) {}, nullptr);
  g_init_ok = true;
}

// libvips' error text for a failed C call, and clears it (the buffer is process-wide).
std::string take_vips_error() {
  std::string message = vips_error_buffer();
  vips_error_clear();
  while (!message.empty() && message.back() == '\n') message.pop_back();
  return message;
}

// Whether the loader libvips chose for the bytes is the one their magic bytes name. libvips
// reports either a class name ("VipsForeignLoadPngBuffer") or a nickname ("pngload_buffer")
// depending on the version, so compare loosely.
bool loader_matches(const char* loader, ImageType type) {
  std::string name(loader ? loader : "");
  for (char& c : name) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  const char* format = "";
  switch (type) {
    case ImageType::jpeg: format = "jpeg"; break;
    case ImageType::png: format = "png"; break;
    case ImageType::gif: format = "gif"; break;  // "VipsForeignLoadNsgifBuffer"
    case ImageType::webp: format = "webp"; break;
    case ImageType::unknown: return false;
  }
  return name.find(format) != std::string::npos && name.find("buffer") != std::string::npos;
}

uint32_t get_le32(const std::string& s, size_t pos) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s[pos + i]);
  return v;
}

void put_le32(std::string& s, size_t pos, uint32_t v) {
  for (int i = 0; i < 4; ++i) s[pos + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}

// Removes the EXIF, XMP and ICC chunks from a WebP file and clears their VP8X flags.
//
// Needed because libvips 8.14.0-8.14.1 (Debian 12) ignores strip=true in webpsave and always
// writes an EXIF chunk (libvips issue #3340); doing it on the container also keeps the promise
// whatever a future libvips does. Returns false when `webp` is not a well-formed RIFF/WebP.
bool strip_webp_metadata(std::string& webp) {
  if (webp.size() < 12 || webp.compare(0, 4, "RIFF") != 0 || webp.compare(8, 4, "WEBP") != 0) return false;
  std::string out = webp.substr(0, 12);
  size_t pos = 12;
  size_t vp8x = std::string::npos;
  while (pos < webp.size()) {
    if (webp.size() - pos < 8) return false;
    const std::string id = webp.substr(pos, 4);
    const uint64_t len = get_le32(webp, pos + 4);
    const uint64_t padded = 8 + len + (len & 1);
    if (padded > webp.size() - pos) return false;
    if (id != "EXIF" && id != "XMP " && id != "ICCP") {
      if (id == "VP8X") vp8x = out.size();
      out.append(webp, pos, static_cast<size_t>(padded));
    }
    pos += static_cast<size_t>(padded);
  }
  if (vp8x != std::string::npos) {
    if (get_le32(out, vp8x + 4) < 10) return false;
    // VP8X flags: 0x20 ICC profile, 0x08 EXIF, 0x04 XMP.
    out[vp8x + 8] = static_cast<char>(static_cast<unsigned char>(out[vp8x + 8]) & ~0x2C);
  }
  put_le32(out, 4, static_cast<uint32_t>(out.size() - 8));
  webp.swap(out);
  return true;
}

// Encodes with every piece of metadata left out: the image handed in has none (see
// strip_to_pixels), strip=true asks libvips not to add any, and strip_webp_metadata removes
// what it adds anyway.
std::string encode_webp(const vips::VImage& image, int quality) {
  VipsBlob* blob = image.webpsave_buffer(vips::VImage::option()->set("Q", quality)->set("strip", true));
  const auto* area = reinterpret_cast<VipsArea*>(blob);
  std::string out(static_cast<const char*>(area->data), area->length);
  vips_area_unref(reinterpret_cast<VipsArea*>(blob));
  if (!strip_webp_metadata(out)) throw vips::VError("webpsave produced a malformed WebP container");
  return out;
}

// The decoded pixels in a brand-new image that carries no metadata at all: no EXIF, XMP, ICC
// profile, comments, or animation fields (page-height, delay, loop) that could make the encoder
// write anything but a still picture of these pixels.
vips::VImage strip_to_pixels(const vips::VImage& image) {
  size_t size = 0;
  void* pixels = image.write_to_memory(&size);
  const vips::VImage bare = vips::VImage::new_from_memory_steal(pixels, size, image.width(), image.height(),
                                                                image.bands(), image.format());
  // Raw memory has no interpretation; say what the pixels are so the encoder takes them as RGB(A).
  return bare.copy(vips::VImage::option()->set("interpretation", image.interpretation()));
}

}  // namespace

ImageType sniff_image_type(std::string_view b) noexcept {
  const auto at = [&](size_t i) { return static_cast<unsigned char>(b[i]); };
  if (b.size() >= 3 && at(0) == 0xFF && at(1) == 0xD8 && at(2) == 0xFF) return ImageType::jpeg;
  if (b.size() >= 8 && b.substr(0, 8) == std::string_view("\x89PNG\r\n\x1a\n", 8)) return ImageType::png;
  if (b.size() >= 6 && (b.substr(0, 6) == "GIF87a" || b.substr(0, 6) == "GIF89a")) return ImageType::gif;
  if (b.size() >= 12 && b.substr(0, 4) == "RIFF" && b.substr(8, 4) == "WEBP") return ImageType::webp;
  return ImageType::unknown;
}

const char* avatar_error_message(AvatarError e) noexcept {
  switch (e) {
    case AvatarError::none: return "no error";
    case AvatarError::unsupported_type: return "the file is not a JPEG, PNG, GIF or WebP image";
    case AvatarError::decode_failed: return "the image is corrupt or truncated";
    case AvatarError::too_large_dimensions: return "the image's dimensions are too large";
  }
  return "unknown avatar error";
}

void init_image_library(const char* argv0) {
  std::call_once(g_init_once, init_once, argv0);
  if (!g_init_ok) throw std::runtime_error("cannot initialise libvips: " + g_init_error);
}

namespace {

// What every upload goes through before libvips decodes a pixel: the type from the magic bytes,
// the loader libvips picks must be the one those name, and the dimensions from the header.
// AvatarError::none when the bytes may be decoded; `detail` says why not (for logs).
AvatarError check_upload(std::string_view bytes, int max_side, uint64_t max_pixels, std::string& detail) {
  const ImageType type = sniff_image_type(bytes);
  if (type == ImageType::unknown) return AvatarError::unsupported_type;
  init_image_library(nullptr);
  // libvips picks a loader by its own sniffing; go on only if it picked the one the magic bytes
  // named, so bytes that also match some other format never reach another decoder.
  const char* loader = vips_foreign_find_load_buffer(bytes.data(), bytes.size());
  if (!loader) {
    detail = take_vips_error();
    return AvatarError::decode_failed;
  }
  if (!loader_matches(loader, type)) {
    detail = loader;
    return AvatarError::unsupported_type;
  }
  // fail_on=error: stop at corrupt or truncated data instead of returning a half-grey image.
  // Not "warning": phone cameras write JPEGs that libjpeg warns about (extraneous bytes) and
  // those decode fine.
  // Header only: libvips loads lazily, so this parses the header and allocates no pixels.
  VipsImage* header = vips_image_new_from_buffer(bytes.data(), bytes.size(), "", "access", VIPS_ACCESS_SEQUENTIAL,
                                                 "fail_on", VIPS_FAIL_ON_ERROR, nullptr);
  if (!header) {
    detail = take_vips_error();
    return AvatarError::decode_failed;
  }
  const vips::VImage probe(header);  // takes the reference
  const auto width = static_cast<uint64_t>(probe.width());
  const auto height = static_cast<uint64_t>(probe.height());
  if (width > static_cast<uint64_t>(max_side) || height > static_cast<uint64_t>(max_side) ||
      width * height > max_pixels) {
    detail = std::to_string(width) + "x" + std::to_string(height) + " pixels";
    return AvatarError::too_large_dimensions;
  }
  return AvatarError::none;
}

// 8-bit sRGB(A), as WebP wants: greyscale, 16-bit and CMYK-without-profile images end up as
// something else after loading.
vips::VImage to_srgb8(vips::VImage image) {
  if (image.interpretation() != VIPS_INTERPRETATION_sRGB) image = image.colourspace(VIPS_INTERPRETATION_sRGB);
  if (image.format() != VIPS_FORMAT_UCHAR) image = image.cast(VIPS_FORMAT_UCHAR);
  return image;
}

}  // namespace

AvatarImages process_avatar(std::string_view bytes, const AvatarLimits& limits) {
  AvatarImages result;
  const auto failed = [&](AvatarError e, std::string detail) {
    result.error = e;
    result.detail = std::move(detail);
    result.large.clear();
    result.small.clear();
    return result;
  };
  {
    std::string detail;
    const AvatarError checked = check_upload(bytes, limits.max_side, limits.max_pixels, detail);
    if (checked != AvatarError::none) return failed(checked, std::move(detail));
  }

  try {
    // thumbnail: shrink-on-load where the format allows (JPEG decodes at 1/8 scale directly),
    // auto-rotation from the EXIF orientation, centre crop to the square, and colour management
    // to sRGB from an embedded profile. Only the first page/frame: the loaders' default n=1.
    VipsImage* thumb = nullptr;
    // vips_thumbnail_buffer takes a non-const pointer but only reads the buffer.
    if (vips_thumbnail_buffer(const_cast<char*>(bytes.data()), bytes.size(), &thumb, limits.large_size, "height",
                              limits.large_size, "crop", VIPS_INTERESTING_CENTRE, "size", VIPS_SIZE_BOTH,
                              "option_string", "fail_on=error", nullptr) != 0) {
      return failed(AvatarError::decode_failed, take_vips_error());
    }
    // Decodes now: a corrupt or truncated file fails here, inside the try.
    const vips::VImage large = strip_to_pixels(to_srgb8(vips::VImage(thumb)));
    if (large.width() != limits.large_size || large.height() != limits.large_size)
      return failed(AvatarError::decode_failed, "unexpected thumbnail size");
    const vips::VImage small = strip_to_pixels(large.thumbnail_image(
        limits.small_size, vips::VImage::option()->set("height", limits.small_size)->set("crop", VIPS_INTERESTING_CENTRE)));
    result.large = encode_webp(large, limits.webp_quality);
    result.small = encode_webp(small, limits.webp_quality);
  } catch (const vips::VError& e) {
    vips_error_clear();
    return failed(AvatarError::decode_failed, e.what());
  }
  return result;
}

AttachmentImages process_attachment(std::string_view bytes, const AttachmentLimits& limits) {
  AttachmentImages result;
  const auto failed = [&](AvatarError e, std::string detail) {
    result = AttachmentImages{};
    result.error = e;
    result.detail = std::move(detail);
    return result;
  };
  {
    std::string detail;
    const AvatarError checked = check_upload(bytes, limits.max_side, limits.max_pixels, detail);
    if (checked != AvatarError::none) return failed(checked, std::move(detail));
  }
  try {
    // As for avatars, but the whole picture: shrunk (never enlarged) to fit full_size, upright
    // from the EXIF orientation, first frame only.
    VipsImage* fitted = nullptr;
    if (vips_thumbnail_buffer(const_cast<char*>(bytes.data()), bytes.size(), &fitted, limits.full_size, "height",
                              limits.full_size, "size", VIPS_SIZE_DOWN, "option_string", "fail_on=error",
                              nullptr) != 0) {
      return failed(AvatarError::decode_failed, take_vips_error());
    }
    const vips::VImage full = strip_to_pixels(to_srgb8(vips::VImage(fitted)));
    const vips::VImage thumb = strip_to_pixels(full.thumbnail_image(
        limits.thumb_size, vips::VImage::option()->set("height", limits.thumb_size)->set("size", VIPS_SIZE_DOWN)));
    result.full = encode_webp(full, limits.webp_quality);
    result.thumb = encode_webp(thumb, limits.webp_quality);
    result.width = full.width();
    result.height = full.height();
    result.thumb_width = thumb.width();
    result.thumb_height = thumb.height();
  } catch (const vips::VError& e) {
    vips_error_clear();
    return failed(AvatarError::decode_failed, e.what());
  }
  return result;
}

}  // namespace dchat::chat
