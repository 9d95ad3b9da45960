// The one entry point the face pipeline needs from libwebp: decode straight to RGB at a reduced size.
// With use_scaling, libwebp's rescaler takes the decoded rows as they come (lossy VP8 keeps only a few
// macroblock rows), so the memory is the upload plus the small output, not the full-size picture.
#include <stdint.h>
#include <stdlib.h>
#include "webp/decode.h"

// Decodes `size` bytes at `data` to out_w x out_h RGB (3 bytes a pixel). Returns libwebp's status
// (0 = VP8_STATUS_OK) and, on success, stores the output's address in *out.
__attribute__((export_name("decode_scaled")))
int decode_scaled(const uint8_t* data, size_t size, int out_w, int out_h, uint8_t** out) {
  WebPDecoderConfig config;
  *out = NULL;
  if (!WebPInitDecoderConfig(&config)) return VP8_STATUS_INVALID_PARAM;
  const VP8StatusCode header = WebPGetFeatures(data, size, &config.input);
  if (header != VP8_STATUS_OK) return header;
  // At full size, a plain decode (with libwebp's fancy chroma upsampling, as a whole decode elsewhere).
  config.options.use_scaling = out_w != config.input.width || out_h != config.input.height;
  config.options.scaled_width = out_w;
  config.options.scaled_height = out_h;
  config.output.colorspace = MODE_RGB;
  const VP8StatusCode status = WebPDecode(data, size, &config);
  if (status != VP8_STATUS_OK) {
    WebPFreeDecBuffer(&config.output);
    return status;
  }
  *out = config.output.u.RGBA.rgba;
  return VP8_STATUS_OK;
}

// The caller's side of the heap: room for the upload and the output's address. The caller drops the whole
// instance after one picture, so nothing is freed one by one.
__attribute__((export_name("alloc"))) void* alloc(size_t n) { return malloc(n); }
