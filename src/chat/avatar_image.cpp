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

// Encodes with every piece of metadata left out. The image handed in has none already (see
// strip_to_pixels); strip=true is the second lock.
std::string encode_webp(const vips::VImage& image, int quality) {
  VipsBlob* blob = image.webpsave_buffer(vips::VImage::option()->set("Q", quality)->set("strip", true));
  const auto* area = reinterpret_cast<VipsArea*>(blob);
  std::string out(static_cast<const char*>(area->data), area->length);
  vips_area_unref(reinterpret_cast<VipsArea*>(blob));
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

AvatarImages process_avatar(std::string_view bytes, const AvatarLimits& limits) {
  AvatarImages result;
  const ImageType type = sniff_image_type(bytes);
  if (type == ImageType::unknown) {
    result.error = AvatarError::unsupported_type;
    return result;
  }
  init_image_library(nullptr);

  const auto failed = [&](AvatarError e, std::string detail) {
    result.error = e;
    result.detail = std::move(detail);
    result.large.clear();
    result.small.clear();
    return result;
  };

  // libvips picks a loader by its own sniffing; go on only if it picked the one the magic bytes
  // named, so bytes that also match some other format never reach another decoder.
  const char* loader = vips_foreign_find_load_buffer(bytes.data(), bytes.size());
  if (!loader) return failed(AvatarError::decode_failed, take_vips_error());
  if (!loader_matches(loader, type)) return failed(AvatarError::unsupported_type, loader);

  // fail_on=error: stop at corrupt or truncated data instead of returning a half-grey image.
  // Not "warning": phone cameras write JPEGs that libjpeg warns about (extraneous bytes) and
  // those decode fine.
  {
    // Header only: libvips loads lazily, so this parses the header and allocates no pixels.
    VipsImage* header = vips_image_new_from_buffer(bytes.data(), bytes.size(), "", "access", VIPS_ACCESS_SEQUENTIAL,
                                                   "fail_on", VIPS_FAIL_ON_ERROR, nullptr);
    if (!header) return failed(AvatarError::decode_failed, take_vips_error());
    const vips::VImage probe(header);  // takes the reference
    const auto width = static_cast<uint64_t>(probe.width());
    const auto height = static_cast<uint64_t>(probe.height());
    if (width > static_cast<uint64_t>(limits.max_side) || height > static_cast<uint64_t>(limits.max_side) ||
        width * height > limits.max_pixels) {
      return failed(AvatarError::too_large_dimensions,
                    std::to_string(width) + "x" + std::to_string(height) + " pixels");
    }
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
    vips::VImage image(thumb);
    // Greyscale, 16-bit and CMYK-without-profile images end up here as something else than 8-bit
    // sRGB; WebP wants 8-bit RGB(A).
    if (image.interpretation() != VIPS_INTERPRETATION_sRGB) image = image.colourspace(VIPS_INTERPRETATION_sRGB);
    if (image.format() != VIPS_FORMAT_UCHAR) image = image.cast(VIPS_FORMAT_UCHAR);
    // Decodes now: a corrupt or truncated file fails here, inside the try.
    const vips::VImage large = strip_to_pixels(image);
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

}  // namespace dchat::chat
