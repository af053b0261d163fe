// Checks a screenshot: it decodes, has the expected size, and is not blank (enough distinct
// colours overall, and in the top-left corner where the panel sits).
//   png_check FILE WIDTH HEIGHT
#include "png_image.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <unordered_set>

namespace {

constexpr int kMinimumColours = 64;
constexpr int kMinimumPanelColours = 16;
constexpr int kPanelCornerSize = 300;

int distinct_colours(const nebula::app::RgbImage& image, int x_end, int y_end) {
    std::unordered_set<std::uint32_t> colours;
    for (int y = 0; y < y_end; ++y) {
        for (int x = 0; x < x_end; ++x) {
            colours.insert(image.rgb_at(x, y));
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
    const std::optional<nebula::app::RgbImage> image = nebula::app::load_rgb_png(argv[1]);
    if (!image) {
        return 1;
    }
    int status =
        nebula::app::has_size(*image, argv[1], std::atoi(argv[2]), std::atoi(argv[3])) ? 0 : 1;
    const int width = image->width;
    const int height = image->height;
    const int colours = distinct_colours(*image, width, height);
    const int panel_colours = distinct_colours(*image, std::min(width, kPanelCornerSize),
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
    return status;
}
