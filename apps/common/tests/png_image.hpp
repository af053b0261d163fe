// A PNG decoded to 8-bit RGB, for the programs the screenshot tests run on what the demo and the
// viewer saved (nebula_demo_png_check, nebula_viewer_png_colours).
#pragma once

#include <stb_image.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>

namespace nebula::app {

struct RgbImage {
    struct FreePixels {
        void operator()(unsigned char* pixels) const { stbi_image_free(pixels); }
    };

    int width = 0;
    int height = 0;
    std::unique_ptr<unsigned char[], FreePixels> pixels;  // rows top-down, 3 bytes a pixel

    // The pixel at (x, y) as 0xRRGGBB.
    std::uint32_t rgb_at(int x, int y) const {
        const unsigned char* pixel =
            pixels.get() + 3 * (static_cast<std::size_t>(y) * static_cast<std::size_t>(width) +
                                static_cast<std::size_t>(x));
        return (std::uint32_t{pixel[0]} << 16) | (std::uint32_t{pixel[1]} << 8) | pixel[2];
    }
};

// Decodes `path`; where it cannot, says why on standard error ("PATH: cannot decode: REASON")
// and returns nothing.
inline std::optional<RgbImage> load_rgb_png(const char* path) {
    RgbImage image;
    int channels = 0;
    image.pixels.reset(stbi_load(path, &image.width, &image.height, &channels, 3));
    if (image.pixels == nullptr) {
        std::fprintf(stderr, "%s: cannot decode: %s\n", path, stbi_failure_reason());
        return std::nullopt;
    }
    return image;
}

// Whether the image is width x height; where it is not, says so on standard error.
inline bool has_size(const RgbImage& image, const char* path, int width, int height) {
    if (image.width == width && image.height == height) {
        return true;
    }
    std::fprintf(stderr, "%s: %dx%d, expected %dx%d\n", path, image.width, image.height, width,
                 height);
    return false;
}

}  // namespace nebula::app
