// Checks a screenshot: it decodes, has the expected size, and is not blank (enough distinct
// colours overall, and in the top-left corner where the panel sits).
//   png_check FILE WIDTH HEIGHT
#include <stb_image.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <unordered_set>

namespace {

constexpr int kMinimumColours = 64;
constexpr int kMinimumPanelColours = 16;
constexpr int kPanelCornerSize = 300;

std::uint32_t rgb_at(const unsigned char* pixels, int width, int x, int y) {
    const unsigned char* pixel = pixels + 3 * (static_cast<std::size_t>(y) * width + x);
    return (std::uint32_t{pixel[0]} << 16) | (std::uint32_t{pixel[1]} << 8) | pixel[2];
}

int distinct_colours(const unsigned char* pixels, int width, int x_end, int y_end) {
    std::unordered_set<std::uint32_t> colours;
    for (int y = 0; y < y_end; ++y) {
        for (int x = 0; x < x_end; ++x) {
            colours.insert(rgb_at(pixels, width, x, y));
        }
    }
    return static_cast<int>(colours.size());
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: %s FILE.png WIDTH HEIGHT\n", argv[0]);
        return 2;
    }
    const int expected_width = std::atoi(argv[2]);
    const int expected_height = std::atoi(argv[3]);
    int width = 0;
    int height = 0;
    int channels = 0;
    unsigned char* pixels = stbi_load(argv[1], &width, &height, &channels, 3);
    if (pixels == nullptr) {
        std::fprintf(stderr, "%s: cannot decode: %s\n", argv[1], stbi_failure_reason());
        return 1;
    }
    int status = 0;
    if (width != expected_width || height != expected_height) {
        std::fprintf(stderr, "%s: %dx%d, expected %dx%d\n", argv[1], width, height, expected_width,
                     expected_height);
        status = 1;
    }
    const int colours = distinct_colours(pixels, width, width, height);
    const int panel_colours = distinct_colours(pixels, width, std::min(width, kPanelCornerSize),
                                               std::min(height, kPanelCornerSize));
    if (colours < kMinimumColours || panel_colours < kMinimumPanelColours) {
        std::fprintf(stderr,
                     "%s: looks blank: %d colours (need %d), %d in the panel's corner "
                     "(need %d)\n",
                     argv[1], colours, kMinimumColours, panel_colours, kMinimumPanelColours);
        status = 1;
    }
    std::printf("%s: %dx%d, %d colours, %d in the panel's corner\n", argv[1], width, height,
                colours, panel_colours);
    stbi_image_free(pixels);
    return status;
}
