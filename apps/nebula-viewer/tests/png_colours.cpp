// Checks what a viewer screenshot shows by colour: the PNG decodes, has the expected size, and
// holds at least MIN pixels of each colour given: the panel's text, and the red usage bar of a
// row past its threshold, which only data that arrived can draw.
//   png_colours FILE WIDTH HEIGHT RRGGBB:MIN...
#include <stb_image.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
    if (argc < 5) {
        std::fprintf(stderr, "usage: png_colours FILE WIDTH HEIGHT RRGGBB:MIN...\n");
        return 2;
    }
    int width = 0;
    int height = 0;
    int channels = 0;
    unsigned char* pixels = stbi_load(argv[1], &width, &height, &channels, 3);
    if (pixels == nullptr) {
        std::fprintf(stderr, "%s: cannot decode: %s\n", argv[1], stbi_failure_reason());
        return 1;
    }
    int status = 0;
    if (width != std::atoi(argv[2]) || height != std::atoi(argv[3])) {
        std::fprintf(stderr, "%s: %dx%d, expected %sx%s\n", argv[1], width, height, argv[2],
                     argv[3]);
        status = 1;
    }
    for (int i = 4; i < argc; ++i) {
        const std::string wanted = argv[i];
        const std::size_t colon = wanted.find(':');
        if (colon != 6) {
            std::fprintf(stderr, "'%s' is not RRGGBB:MIN\n", argv[i]);
            stbi_image_free(pixels);
            return 2;
        }
        const auto rgb = static_cast<std::uint32_t>(std::stoul(wanted.substr(0, 6), nullptr, 16));
        const long minimum = std::stol(wanted.substr(colon + 1));
        long count = 0;
        for (long p = 0; p < static_cast<long>(width) * height; ++p) {
            const unsigned char* pixel = pixels + 3 * p;
            count +=
                ((std::uint32_t{pixel[0]} << 16) | (std::uint32_t{pixel[1]} << 8) | pixel[2]) == rgb
                    ? 1
                    : 0;
        }
        std::printf("%s: %ld pixels of #%06x (need %ld)\n", argv[1], count, rgb, minimum);
        if (count < minimum) {
            status = 1;
        }
    }
    stbi_image_free(pixels);
    return status;
}
