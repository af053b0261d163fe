// Checks what a viewer screenshot shows by colour: the PNG decodes, has the expected size, and
// holds at least MIN pixels of each colour given: the panel's text, and the red usage bar of a
// row past its threshold, which only data that arrived can draw.
//   png_colours FILE WIDTH HEIGHT RRGGBB:MIN...
#include "png_image.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

int main(int argc, char** argv) {
    if (argc < 5) {
        std::fprintf(stderr, "usage: png_colours FILE WIDTH HEIGHT RRGGBB:MIN...\n");
        return 2;
    }
    const std::optional<nebula::app::RgbImage> image = nebula::app::load_rgb_png(argv[1]);
    if (!image) {
        return 1;
    }
    int status =
        nebula::app::has_size(*image, argv[1], std::atoi(argv[2]), std::atoi(argv[3])) ? 0 : 1;
    for (int i = 4; i < argc; ++i) {
        const std::string wanted = argv[i];
        const std::size_t colon = wanted.find(':');
        if (colon != 6) {
            std::fprintf(stderr, "'%s' is not RRGGBB:MIN\n", argv[i]);
            return 2;
        }
        const auto rgb = static_cast<std::uint32_t>(std::stoul(wanted.substr(0, 6), nullptr, 16));
        const long minimum = std::stol(wanted.substr(colon + 1));
        long count = 0;
        for (int y = 0; y < image->height; ++y) {
            for (int x = 0; x < image->width; ++x) {
                count += image->rgb_at(x, y) == rgb ? 1 : 0;
            }
        }
        std::printf("%s: %ld pixels of #%06x (need %ld)\n", argv[1], count, rgb, minimum);
        if (count < minimum) {
            status = 1;
        }
    }
    return status;
}
