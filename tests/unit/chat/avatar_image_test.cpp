// Avatar processing: chat::process_avatar. The test images are made here with libvips, so the
// repository carries no binary fixtures.
#include "chat/avatar_image.hpp"

#include <gtest/gtest.h>
#include <vips/vips8>

#include <cstdint>
#include <cstring>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using dchat::chat::AvatarError;
using dchat::chat::AvatarImages;
using dchat::chat::ImageType;
using dchat::chat::process_avatar;
using dchat::chat::sniff_image_type;
using vips::VImage;

// ---------------------------------------------------------------------------------------------
// Helpers

class AvatarImageTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { dchat::chat::init_image_library("avatar_image_test"); }
};

const std::vector<double> kRed = {255, 0, 0};
const std::vector<double> kGreen = {0, 255, 0};
const std::vector<double> kBlue = {0, 0, 255};

VImage Solid(int w, int h, const std::vector<double>& colour) {
  return VImage::black(w, h, VImage::option()->set("bands", static_cast<int>(colour.size()))).new_from_image(colour);
}

std::string Encode(const VImage& image, const char* suffix, vips::VOption* options = nullptr) {
  void* buf = nullptr;
  size_t size = 0;
  image.write_to_buffer(suffix, &buf, &size, options);
  std::string out(static_cast<const char*>(buf), size);
  g_free(buf);
  return out;
}

VImage Load(const std::string& bytes) { return VImage::new_from_buffer(bytes.data(), bytes.size(), ""); }

// The four-character chunk ids of a RIFF/WebP file.
std::vector<std::string> RiffChunks(const std::string& webp) {
  std::vector<std::string> ids;
  size_t pos = 12;
  while (pos + 8 <= webp.size()) {
    ids.push_back(webp.substr(pos, 4));
    uint32_t len = 0;
    for (int i = 3; i >= 0; --i) len = (len << 8) | static_cast<unsigned char>(webp[pos + 4 + i]);
    pos += 8 + len + (len & 1);
  }
  return ids;
}

// An output must be a still WebP of the given size with no metadata whatsoever.
void ExpectCleanWebp(const std::string& webp, int size) {
  ASSERT_EQ(sniff_image_type(webp), ImageType::webp);
  for (const std::string& id : RiffChunks(webp)) {
    EXPECT_NE(id, "EXIF");
    EXPECT_NE(id, "XMP ");
    EXPECT_NE(id, "ICCP");
    EXPECT_NE(id, "ANIM");
    EXPECT_NE(id, "ANMF");
  }
  const VImage image = Load(webp);
  EXPECT_EQ(image.width(), size);
  EXPECT_EQ(image.height(), size);
  EXPECT_EQ(image.get_typeof("exif-data"), 0u);
  EXPECT_EQ(image.get_typeof("xmp-data"), 0u);
  EXPECT_EQ(image.get_typeof(VIPS_META_ICC_NAME), 0u);
  EXPECT_EQ(image.get_typeof("orientation"), 0u);
  EXPECT_EQ(image.get_typeof("exif-ifd3-GPSLatitude"), 0u);
  if (image.get_typeof("n-pages")) {
    EXPECT_EQ(image.get_int("n-pages"), 1);
  }
}

// Whether the pixel at (x, y) is mostly the given primary colour (lossy coding shifts values).
bool IsColour(const VImage& image, int x, int y, const std::vector<double>& colour) {
  const std::vector<double> p = image.getpoint(x, y);
  if (p.size() < 3) return false;
  for (int i = 0; i < 3; ++i) {
    if (colour[i] > 128 && p[i] < 180) return false;
    if (colour[i] < 128 && p[i] > 80) return false;
  }
  return true;
}

void ExpectOk(const AvatarImages& r) {
  ASSERT_EQ(r.error, AvatarError::none) << dchat::chat::avatar_error_message(r.error) << ": " << r.detail;
  ExpectCleanWebp(r.large, 256);
  ExpectCleanWebp(r.small, 64);
}

uint32_t Crc32(std::string_view bytes) {
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char b : bytes) {
    crc ^= b;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

void PutBe32(std::string& s, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) s.push_back(static_cast<char>((v >> shift) & 0xFF));
}

std::string PngChunk(std::string_view type, std::string_view data) {
  std::string chunk;
  PutBe32(chunk, static_cast<uint32_t>(data.size()));
  std::string body(type);
  body.append(data);
  chunk += body;
  PutBe32(chunk, Crc32(body));
  return chunk;
}

// A well-formed PNG header claiming width x height RGB pixels, followed by a token IDAT: what an
// attacker sends to make a decoder allocate gigabytes.
std::string PngClaiming(uint32_t width, uint32_t height) {
  std::string ihdr;
  PutBe32(ihdr, width);
  PutBe32(ihdr, height);
  ihdr += std::string("\x08\x02\x00\x00\x00", 5);  // 8-bit RGB, deflate, no filter, no interlace
  std::string png("\x89PNG\r\n\x1a\n", 8);
  png += PngChunk("IHDR", ihdr);
  png += PngChunk("IDAT", std::string("\x78\x9c\x63\x00\x00\x00\x01\x00\x01", 9));
  png += PngChunk("IEND", "");
  return png;
}

// JPEG APPn segment.
std::string Segment(uint8_t marker, std::string_view payload) {
  std::string s;
  s.push_back(static_cast<char>(0xFF));
  s.push_back(static_cast<char>(marker));
  const size_t len = payload.size() + 2;
  s.push_back(static_cast<char>(len >> 8));
  s.push_back(static_cast<char>(len & 0xFF));
  s.append(payload);
  return s;
}

// EXIF (big-endian TIFF) with Orientation = `orientation` in IFD0 and a GPS IFD holding
// GPSLatitudeRef "N" and GPSLatitude 48/1 51/1 30/1.
std::string ExifPayload(uint16_t orientation) {
  std::string t = "MM";
  t += std::string("\x00\x2a", 2);
  PutBe32(t, 8);  // IFD0 offset
  const auto u16 = [&](uint16_t v) {
    t.push_back(static_cast<char>(v >> 8));
    t.push_back(static_cast<char>(v & 0xFF));
  };
  // IFD0 at 8: 2 entries → 2 + 24 + 4 = 30 bytes; GPS IFD at 38: 2 entries, 30 bytes; data at 68.
  u16(2);
  u16(0x0112), u16(3), PutBe32(t, 1), u16(orientation), u16(0);  // Orientation, SHORT
  u16(0x8825), u16(4), PutBe32(t, 1), PutBe32(t, 38);            // GPS IFD pointer, LONG
  PutBe32(t, 0);                                                 // no IFD1
  u16(2);
  u16(0x0001), u16(2), PutBe32(t, 2), t += std::string("N\0\0\0", 4);  // GPSLatitudeRef, ASCII
  u16(0x0002), u16(5), PutBe32(t, 3), PutBe32(t, 68);                  // GPSLatitude, 3 RATIONALs
  PutBe32(t, 0);
  for (uint32_t v : {48u, 51u, 30u}) PutBe32(t, v), PutBe32(t, 1);
  return std::string("Exif\0\0", 6) + t;
}

// A JPEG of `image` carrying EXIF (orientation + GPS), XMP and an ICC profile, inserted by hand
// so exactly these are there.
std::string JpegWithMetadata(const VImage& image, uint16_t orientation) {
  const std::string plain = Encode(image, ".jpg", VImage::option()->set("strip", true)->set("Q", 95));
  std::string xmp = "http://ns.adobe.com/xap/1.0/";
  xmp.push_back('\0');
  xmp += "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">"
         "<rdf:Description xmlns:exif=\"http://ns.adobe.com/exif/1.0/\" exif:GPSLatitude=\"48,51.5N\"/>"
         "</rdf:RDF></x:xmpmeta>";
  VipsBlob* profile = VImage::profile_load("srgb");
  const auto* area = reinterpret_cast<VipsArea*>(profile);
  std::string icc = std::string("ICC_PROFILE\0\x01\x01", 14);
  icc.append(static_cast<const char*>(area->data), area->length);
  vips_area_unref(reinterpret_cast<VipsArea*>(profile));
  return plain.substr(0, 2) + Segment(0xE1, ExifPayload(orientation)) + Segment(0xE1, xmp) + Segment(0xE2, icc) +
         plain.substr(2);
}

// ---------------------------------------------------------------------------------------------
// Type detection

TEST(AvatarSniff, MagicBytes) {
  EXPECT_EQ(sniff_image_type(std::string("\xFF\xD8\xFF\xE0", 4)), ImageType::jpeg);
  EXPECT_EQ(sniff_image_type(std::string("\x89PNG\r\n\x1a\n", 8)), ImageType::png);
  EXPECT_EQ(sniff_image_type("GIF87a"), ImageType::gif);
  EXPECT_EQ(sniff_image_type("GIF89a..."), ImageType::gif);
  EXPECT_EQ(sniff_image_type(std::string("RIFF\x10\0\0\0WEBPVP8 ", 16)), ImageType::webp);
  EXPECT_EQ(sniff_image_type(std::string("RIFF\x10\0\0\0WAVEfmt ", 16)), ImageType::unknown);
  EXPECT_EQ(sniff_image_type("GIF88a"), ImageType::unknown);
  EXPECT_EQ(sniff_image_type(std::string("\x89PNG\r\n\x1a", 7)), ImageType::unknown);
  EXPECT_EQ(sniff_image_type(std::string("\xFF\xD8", 2)), ImageType::unknown);
  EXPECT_EQ(sniff_image_type("<svg xmlns=\"http://www.w3.org/2000/svg\"/>"), ImageType::unknown);
  EXPECT_EQ(sniff_image_type("BM"), ImageType::unknown);
  EXPECT_EQ(sniff_image_type(""), ImageType::unknown);
}

TEST(AvatarSniff, EveryErrorHasAMessage) {
  for (AvatarError e : {AvatarError::none, AvatarError::unsupported_type, AvatarError::decode_failed,
                        AvatarError::too_large_dimensions})
    EXPECT_GT(std::strlen(dchat::chat::avatar_error_message(e)), 5u);
}

// ---------------------------------------------------------------------------------------------
// Processing

TEST_F(AvatarImageTest, PngBecomesTwoSquareWebps) {
  const AvatarImages r = process_avatar(Encode(Solid(120, 120, kGreen), ".png"));
  ExpectOk(r);
  EXPECT_TRUE(IsColour(Load(r.large), 128, 128, kGreen));
  EXPECT_TRUE(IsColour(Load(r.small), 32, 32, kGreen));
}

TEST_F(AvatarImageTest, NonSquareIsCentreCropped) {
  // 300x100: red | green | blue thirds. The square from the centre is all green.
  const VImage image = Solid(300, 100, kRed).insert(Solid(100, 100, kGreen), 100, 0).insert(Solid(100, 100, kBlue), 200, 0);
  const AvatarImages r = process_avatar(Encode(image, ".png"));
  ExpectOk(r);
  const VImage large = Load(r.large);
  for (int x : {8, 128, 247}) EXPECT_TRUE(IsColour(large, x, 128, kGreen)) << x;
  const VImage small = Load(r.small);
  for (int x : {2, 32, 61}) EXPECT_TRUE(IsColour(small, x, 32, kGreen)) << x;
  // Tall images too.
  ExpectOk(process_avatar(Encode(Solid(100, 300, kRed), ".png")));
}

TEST_F(AvatarImageTest, JpegIsAutoRotatedAndStrippedOfMetadata) {
  // Stored 200x100, red left half, blue right half, with EXIF orientation 6 ("rotate 90° clockwise
  // to display"): shown upright it is 100x200 with red on top, so the centre square is red above
  // blue. Without the rotation it would be red left, blue right.
  const VImage stored = Solid(200, 100, kRed).insert(Solid(100, 100, kBlue), 100, 0);
  const std::string jpeg = JpegWithMetadata(stored, 6);
  ASSERT_EQ(sniff_image_type(jpeg), ImageType::jpeg);

  // The fixture really carries what must be removed.
  const VImage in = Load(jpeg);
  EXPECT_EQ(in.get_int("orientation"), 6);
  EXPECT_NE(in.get_typeof("exif-data"), 0u);
  EXPECT_NE(in.get_typeof("exif-ifd3-GPSLatitude"), 0u);
  EXPECT_NE(in.get_typeof("xmp-data"), 0u);
  EXPECT_NE(in.get_typeof(VIPS_META_ICC_NAME), 0u);

  const AvatarImages r = process_avatar(jpeg);
  ExpectOk(r);
  const VImage large = Load(r.large);
  EXPECT_TRUE(IsColour(large, 20, 20, kRed));
  EXPECT_TRUE(IsColour(large, 235, 20, kRed));
  EXPECT_TRUE(IsColour(large, 20, 235, kBlue));
  EXPECT_TRUE(IsColour(large, 235, 235, kBlue));
  // And no trace of the GPS position or the XMP packet in the bytes.
  for (const std::string* out : {&r.large, &r.small}) {
    EXPECT_EQ(out->find("Exif"), std::string::npos);
    EXPECT_EQ(out->find("GPS"), std::string::npos);
    EXPECT_EQ(out->find("xmpmeta"), std::string::npos);
    EXPECT_EQ(out->find("ns.adobe.com"), std::string::npos);
  }
}

TEST_F(AvatarImageTest, Gif) {
  ExpectOk(process_avatar(Encode(Solid(120, 80, kBlue), ".gif")));
}

TEST_F(AvatarImageTest, AnimatedGifKeepsTheFirstFrameOnly) {
  VImage frames = Solid(80, 80, kRed).join(Solid(80, 80, kBlue), VIPS_DIRECTION_VERTICAL).copy();
  frames.set("page-height", 80);
  const std::string gif = Encode(frames, ".gif");
  ASSERT_EQ(VImage::new_from_buffer(gif, "", VImage::option()->set("n", -1)).get_int("n-pages"), 2);
  const AvatarImages r = process_avatar(gif);
  ExpectOk(r);
  EXPECT_TRUE(IsColour(Load(r.large), 128, 128, kRed));
}

TEST_F(AvatarImageTest, WebpStillAndAnimated) {
  ExpectOk(process_avatar(Encode(Solid(90, 150, kGreen), ".webp")));
  VImage frames = Solid(80, 80, kGreen).join(Solid(80, 80, kBlue), VIPS_DIRECTION_VERTICAL).copy();
  frames.set("page-height", 80);
  const std::string webp = Encode(frames, ".webp");
  ASSERT_EQ(VImage::new_from_buffer(webp, "", VImage::option()->set("n", -1)).get_int("n-pages"), 2);
  const AvatarImages r = process_avatar(webp);
  ExpectOk(r);
  EXPECT_TRUE(IsColour(Load(r.large), 128, 128, kGreen));
}

TEST_F(AvatarImageTest, TinyGreyAlphaAnd16BitImages) {
  ExpectOk(process_avatar(Encode(Solid(1, 1, kRed), ".png")));              // upscaled
  ExpectOk(process_avatar(Encode(Solid(50, 40, {128}), ".png")));           // greyscale
  ExpectOk(process_avatar(Encode(Solid(50, 40, {255, 0, 0, 128}), ".png")));  // RGBA
  const VImage grey16 = Solid(40, 50, {128}).cast(VIPS_FORMAT_USHORT).copy(
      VImage::option()->set("interpretation", VIPS_INTERPRETATION_GREY16));
  ExpectOk(process_avatar(Encode(grey16, ".png")));
  // new_from_image keeps the format of the image it is called on: start from a 16-bit one.
  const VImage rgb16 = VImage::black(40, 50, VImage::option()->set("bands", 3))
                           .cast(VIPS_FORMAT_USHORT)
                           .new_from_image({60000, 0, 0})
                           .copy(VImage::option()->set("interpretation", VIPS_INTERPRETATION_RGB16));
  const AvatarImages r = process_avatar(Encode(rgb16, ".png"));
  ExpectOk(r);
  EXPECT_TRUE(IsColour(Load(r.large), 128, 128, kRed));
}

TEST_F(AvatarImageTest, TextFileNamedPngIsUnsupported) {
  const AvatarImages r = process_avatar("this is not an image, whatever its name says\n");
  EXPECT_EQ(r.error, AvatarError::unsupported_type);
  EXPECT_TRUE(r.large.empty());
  EXPECT_TRUE(r.small.empty());
  EXPECT_EQ(process_avatar("").error, AvatarError::unsupported_type);
  // Formats libvips could decode but the chat does not accept.
  EXPECT_EQ(process_avatar(Encode(Solid(20, 20, kRed), ".tif")).error, AvatarError::unsupported_type);
  EXPECT_EQ(process_avatar("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"/>").error,
            AvatarError::unsupported_type);
}

TEST_F(AvatarImageTest, TruncatedPngFailsToDecode) {
  // Noise compresses badly, so the pixel data is most of the file and a cut lands inside it.
  const VImage noise = VImage::gaussnoise(300, 300, VImage::option()->set("sigma", 60.0)).cast(VIPS_FORMAT_UCHAR);
  const std::string png = Encode(noise, ".png");
  ExpectOk(process_avatar(png));
  for (size_t keep : {png.size() / 2, png.size() - 20, size_t{40}, size_t{8}}) {
    const AvatarImages r = process_avatar(std::string_view(png).substr(0, keep));
    EXPECT_EQ(r.error, AvatarError::decode_failed) << "kept " << keep << " of " << png.size();
    EXPECT_TRUE(r.large.empty());
  }
}

TEST_F(AvatarImageTest, CorruptJpegFailsToDecode) {
  std::string jpeg = Encode(Solid(64, 64, kRed), ".jpg");
  ExpectOk(process_avatar(jpeg));
  EXPECT_EQ(process_avatar(jpeg.substr(0, jpeg.size() / 2)).error, AvatarError::decode_failed);
  EXPECT_EQ(process_avatar(std::string("\xFF\xD8\xFF", 3) + std::string(500, '\x42')).error, AvatarError::decode_failed);
}

TEST_F(AvatarImageTest, HugeDimensionsAreRefusedFromTheHeader) {
  const size_t before = vips_tracked_get_mem_highwater();
  const AvatarImages r = process_avatar(PngClaiming(100000, 100000));
  EXPECT_EQ(r.error, AvatarError::too_large_dimensions) << r.detail;
  // Nothing near the 30 GB such an image needs was allocated (libvips tracks its pixel buffers).
  EXPECT_LT(vips_tracked_get_mem_highwater(), before + 64u * 1024 * 1024);
  EXPECT_EQ(process_avatar(PngClaiming(8001, 10)).error, AvatarError::too_large_dimensions);
  EXPECT_EQ(process_avatar(PngClaiming(10, 8001)).error, AvatarError::too_large_dimensions);
  EXPECT_EQ(process_avatar(PngClaiming(7000, 7000)).error, AvatarError::too_large_dimensions);  // 49 MP
  // The limits are configurable.
  dchat::chat::AvatarLimits small;
  small.max_side = 100;
  EXPECT_EQ(process_avatar(Encode(Solid(101, 20, kRed), ".png"), small).error, AvatarError::too_large_dimensions);
  EXPECT_EQ(process_avatar(Encode(Solid(100, 20, kRed), ".png"), small).error, AvatarError::none);
}

TEST_F(AvatarImageTest, ConcurrentCallsFromWorkerThreads) {
  const std::vector<std::string> inputs = {
      Encode(Solid(300, 100, kRed), ".png"), Encode(Solid(100, 300, kGreen), ".jpg"),
      Encode(Solid(64, 64, kBlue), ".gif"), Encode(Solid(200, 200, kRed), ".webp")};
  std::vector<AvatarImages> results(8);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < results.size(); ++i)
    threads.emplace_back([&, i] { results[i] = process_avatar(inputs[i % inputs.size()]); });
  for (std::thread& t : threads) t.join();
  for (const AvatarImages& r : results) ExpectOk(r);
  // Same input, same output.
  EXPECT_EQ(results[0].large, results[4].large);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Attachments: the same pipeline, the whole picture kept (fitted, never cropped or enlarged).

void ExpectCleanAttachment(const dchat::chat::AttachmentImages& r, int w, int h, int tw, int th) {
  ASSERT_EQ(r.error, AvatarError::none) << dchat::chat::avatar_error_message(r.error) << ": " << r.detail;
  EXPECT_EQ(r.width, w);
  EXPECT_EQ(r.height, h);
  EXPECT_EQ(r.thumb_width, tw);
  EXPECT_EQ(r.thumb_height, th);
  for (const std::string* out : {&r.full, &r.thumb}) {
    ASSERT_EQ(sniff_image_type(*out), ImageType::webp);
    for (const std::string& id : RiffChunks(*out)) {
      EXPECT_NE(id, "EXIF");
      EXPECT_NE(id, "XMP ");
      EXPECT_NE(id, "ICCP");
    }
  }
  EXPECT_EQ(Load(r.full).width(), w);
  EXPECT_EQ(Load(r.thumb).height(), th);
}

TEST_F(AvatarImageTest, AttachmentIsFittedNotCropped) {
  using dchat::chat::process_attachment;
  ExpectCleanAttachment(process_attachment(Encode(Solid(300, 100, kRed), ".png")), 300, 100, 300, 100);
  ExpectCleanAttachment(process_attachment(Encode(Solid(1000, 500, kBlue), ".png")), 1000, 500, 400, 200);
  ExpectCleanAttachment(process_attachment(Encode(Solid(3000, 1000, kGreen), ".jpg")), 2048, 683, 400, 133);
  ExpectCleanAttachment(process_attachment(Encode(Solid(100, 900, kGreen), ".gif")), 100, 900, 44, 400);
}

TEST_F(AvatarImageTest, AttachmentIsAutoRotatedAndStrippedOfMetadata) {
  const VImage stored = Solid(200, 100, kRed).insert(Solid(100, 100, kBlue), 100, 0);
  const auto r = dchat::chat::process_attachment(JpegWithMetadata(stored, 6));
  ExpectCleanAttachment(r, 100, 200, 100, 200);
  const VImage full = Load(r.full);
  EXPECT_TRUE(IsColour(full, 50, 20, kRed));
  EXPECT_TRUE(IsColour(full, 50, 180, kBlue));
  for (const std::string* out : {&r.full, &r.thumb}) {
    EXPECT_EQ(out->find("Exif"), std::string::npos);
    EXPECT_EQ(out->find("GPS"), std::string::npos);
    EXPECT_EQ(out->find("xmpmeta"), std::string::npos);
  }
}

TEST_F(AvatarImageTest, AttachmentErrorsAreTheAvatarOnes) {
  using dchat::chat::process_attachment;
  EXPECT_EQ(process_attachment("just text").error, AvatarError::unsupported_type);
  EXPECT_EQ(process_attachment(PngClaiming(100000, 100000)).error, AvatarError::too_large_dimensions);
  EXPECT_EQ(process_attachment(PngClaiming(7000, 7000)).error, AvatarError::too_large_dimensions);
  const std::string png = Encode(Solid(64, 64, kRed), ".png");
  EXPECT_EQ(process_attachment(png.substr(0, png.size() / 2)).error, AvatarError::decode_failed);
}
