// The pprof heap profile: read back with a protobuf decoder of its own (a test must not trust the
// encoder it checks), and files that cannot be written. check_pprof.cmake has `go tool pprof`
// read one too.
#include "report/heap_profile.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#if defined(__unix__)
#include <unistd.h>
#endif

namespace nd = nebula::debug;
namespace detail = nebula::debug::detail;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

namespace {

constexpr double kMiB = 1024.0 * 1024.0;

// One field of a protobuf message: a varint, or the bytes of a length-delimited field.
struct Field {
    std::uint32_t number = 0;
    std::uint64_t varint = 0;
    std::string_view bytes;
};

std::uint64_t read_varint(std::string_view& input) {
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (input.empty()) {
            ADD_FAILURE() << "truncated varint";
            return 0;
        }
        const auto byte = static_cast<unsigned char>(input.front());
        input.remove_prefix(1);
        value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
        if ((byte & 0x80) == 0) {
            return value;
        }
    }
    ADD_FAILURE() << "varint longer than 10 bytes";
    return 0;
}

// The writer uses only wire types 0 (varint) and 2 (length-delimited); any other is a bug.
std::vector<Field> read_fields(std::string_view input) {
    std::vector<Field> fields;
    while (!input.empty()) {
        const std::uint64_t key = read_varint(input);
        Field field;
        field.number = static_cast<std::uint32_t>(key >> 3);
        if ((key & 7) == 0) {
            field.varint = read_varint(input);
        } else if ((key & 7) == 2) {
            const std::uint64_t size = read_varint(input);
            if (size > input.size()) {
                ADD_FAILURE() << "field " << field.number << " overruns its message";
                return fields;
            }
            field.bytes = input.substr(0, size);
            input.remove_prefix(size);
        } else {
            ADD_FAILURE() << "unexpected wire type " << (key & 7) << " in field " << field.number;
            return fields;
        }
        fields.push_back(field);
    }
    return fields;
}

std::vector<std::uint64_t> read_packed(std::string_view input) {
    std::vector<std::uint64_t> values;
    while (!input.empty()) {
        values.push_back(read_varint(input));
    }
    return values;
}

struct Sample {
    std::vector<std::string> frames;
    std::vector<std::int64_t> values;
    std::map<std::string, std::string> labels;

    bool operator==(const Sample&) const = default;
};

// profile.proto, with the ids resolved to names.
struct Profile {
    std::vector<std::string> strings;
    std::vector<std::string> sample_types;  // "type/unit"
    std::string default_sample_type;
    std::string period_type;
    std::int64_t period = 0;
    std::int64_t time_nanos = 0;
    std::vector<Sample> samples;
    std::size_t function_count = 0;
    std::size_t location_count = 0;
    std::vector<std::string> comments;
};

Profile decode(std::string_view bytes) {
    const std::vector<Field> fields = read_fields(bytes);
    Profile profile;
    for (const Field& field : fields) {
        if (field.number == 6) {
            profile.strings.emplace_back(field.bytes);
        }
    }
    const auto string_at = [&](std::uint64_t index) {
        if (index >= profile.strings.size()) {
            ADD_FAILURE() << "string index " << index << " out of the table";
            return std::string("?");
        }
        return profile.strings[index];
    };
    const auto value_type = [&](std::string_view message) {
        std::uint64_t type = 0;
        std::uint64_t unit = 0;
        for (const Field& field : read_fields(message)) {
            (field.number == 1 ? type : unit) = field.varint;
        }
        return string_at(type) + "/" + string_at(unit);
    };

    std::map<std::uint64_t, std::string> function_names;
    for (const Field& field : fields) {
        if (field.number == 5) {
            std::uint64_t id = 0;
            std::uint64_t name = 0;
            for (const Field& member : read_fields(field.bytes)) {
                if (member.number == 1) {
                    id = member.varint;
                } else if (member.number == 2) {
                    name = member.varint;
                }
            }
            EXPECT_NE(id, 0u) << "function ids start at 1";
            EXPECT_TRUE(function_names.emplace(id, string_at(name)).second) << "function " << id;
            ++profile.function_count;
        }
    }
    std::map<std::uint64_t, std::string> location_names;
    for (const Field& field : fields) {
        if (field.number == 4) {
            std::uint64_t id = 0;
            std::string name;
            for (const Field& member : read_fields(field.bytes)) {
                if (member.number == 1) {
                    id = member.varint;
                } else if (member.number == 4) {
                    for (const Field& line : read_fields(member.bytes)) {
                        if (line.number == 1) {
                            name = function_names.at(line.varint);
                        }
                    }
                }
            }
            EXPECT_NE(id, 0u) << "location ids start at 1";
            EXPECT_TRUE(location_names.emplace(id, name).second) << "location " << id;
            ++profile.location_count;
        }
    }

    for (const Field& field : fields) {
        switch (field.number) {
            case 1:
                profile.sample_types.push_back(value_type(field.bytes));
                break;
            case 2: {
                Sample sample;
                for (const Field& member : read_fields(field.bytes)) {
                    if (member.number == 1) {
                        for (const std::uint64_t id : read_packed(member.bytes)) {
                            sample.frames.push_back(location_names.at(id));
                        }
                    } else if (member.number == 2) {
                        for (const std::uint64_t value : read_packed(member.bytes)) {
                            sample.values.push_back(static_cast<std::int64_t>(value));
                        }
                    } else if (member.number == 3) {
                        std::uint64_t key = 0;
                        std::uint64_t str = 0;
                        for (const Field& label : read_fields(member.bytes)) {
                            (label.number == 1 ? key : str) = label.varint;
                        }
                        sample.labels[string_at(key)] = string_at(str);
                    }
                }
                profile.samples.push_back(sample);
                break;
            }
            case 9:
                profile.time_nanos = static_cast<std::int64_t>(field.varint);
                break;
            case 11:
                profile.period_type = value_type(field.bytes);
                break;
            case 12:
                profile.period = static_cast<std::int64_t>(field.varint);
                break;
            case 13:
                for (const std::uint64_t index : read_packed(field.bytes)) {
                    profile.comments.push_back(string_at(index));
                }
                break;
            case 14:
                profile.default_sample_type = string_at(field.varint);
                break;
            default:
                break;
        }
    }
    return profile;
}

std::string gunzip(const std::string& compressed) {
    z_stream stream{};
    // 15 + 16: a gzip header and trailer are required, not merely accepted.
    if (inflateInit2(&stream, 15 + 16) != Z_OK) {
        ADD_FAILURE() << "inflateInit2";
        return {};
    }
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
    stream.avail_in = static_cast<uInt>(compressed.size());
    std::string output;
    int status = Z_OK;
    while (status == Z_OK) {
        char chunk[4096];
        stream.next_out = reinterpret_cast<Bytef*>(chunk);
        stream.avail_out = sizeof chunk;
        status = inflate(&stream, Z_NO_FLUSH);
        output.append(chunk, sizeof chunk - stream.avail_out);
    }
    EXPECT_EQ(status, Z_STREAM_END) << "not one complete gzip stream";
    EXPECT_EQ(stream.avail_in, 0u) << "bytes after the gzip stream";
    inflateEnd(&stream);
    return output;
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream file(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

std::filesystem::path temporary_path(const std::string& name) {
    std::string unique = std::to_string(::testing::UnitTest::GetInstance()->random_seed());
#if defined(__unix__)
    unique += "-" + std::to_string(::getpid());
#endif
    return std::filesystem::temp_directory_path() / (name + "-" + unique);
}

std::vector<nd::AllocationSite> known_sites() {
    return {
        {.frames = {"leak_meshes", "build_mesh", "main"},
         .tag = "Meshes",
         .live_bytes = 3 * 1024 * 1024,
         .live_allocations = detail::rounded_estimate(2.6),
         .allocated_bytes = detail::rounded_estimate(6 * kMiB + 0.5),
         .live_samples = 7,
         .lines = {},
         .system_frames = {},
         .allocated_allocations = detail::rounded_estimate(6.4)},
        {.frames = {"load_texture", "main"},
         .tag = "Textures",
         .live_bytes = 4096,
         .live_allocations = 1,
         .allocated_bytes = 4096,
         .live_samples = 1,
         .lines = {},
         .system_frames = {},
         .allocated_allocations = 1},
    };
}

// The estimates are scaled-up sample counts, read as whole numbers; a NaN or an estimate past
// int64 must not reach llround, whose result is then unspecified.
TEST(HeapProfile, EstimatesRoundToTheNearestWholeNumber) {
    EXPECT_EQ(detail::rounded_estimate(2.6), 3u);
    EXPECT_EQ(detail::rounded_estimate(6.4), 6u);
    EXPECT_EQ(detail::rounded_estimate(0.5), 1u);
    EXPECT_EQ(detail::rounded_estimate(-0.7), 0u);
    EXPECT_EQ(detail::rounded_estimate(std::nan("")), 0u);
    EXPECT_EQ(detail::rounded_estimate(1e30),
              static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max()));
}

TEST(HeapProfile, HoldsEachSiteAsASampleWithItsFramesValuesAndTag) {
    const auto before = std::chrono::system_clock::now();
    const Profile profile = decode(detail::encode_heap_profile(known_sites(), 512 * 1024));
    const auto after = std::chrono::system_clock::now();

    ASSERT_FALSE(profile.strings.empty());
    EXPECT_EQ(profile.strings[0], "");
    EXPECT_THAT(profile.sample_types,
                ElementsAre("alloc_objects/count", "alloc_space/bytes", "inuse_objects/count",
                            "inuse_space/bytes", "samples/count"));
    EXPECT_EQ(profile.default_sample_type, "inuse_space");
    EXPECT_EQ(profile.period_type, "space/bytes");
    EXPECT_EQ(profile.period, 512 * 1024);
    const auto nanos = [](std::chrono::system_clock::time_point time) {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch())
            .count();
    };
    EXPECT_GE(profile.time_nanos, nanos(before));
    EXPECT_LE(profile.time_nanos, nanos(after));

    // Values in sample-type order, rounded to the nearest integer.
    const std::int64_t mib = 1024 * 1024;
    EXPECT_THAT(profile.samples, ElementsAre(Sample{.frames = {"leak_meshes", "build_mesh", "main"},
                                                    .values = {6, 6 * mib + 1, 3, 3 * mib, 7},
                                                    .labels = {{"tag", "Meshes"}}},
                                             Sample{.frames = {"load_texture", "main"},
                                                    .values = {1, 4096, 1, 4096, 1},
                                                    .labels = {{"tag", "Textures"}}}));
}

// What diff-sites bounds each site by: every tag's exact totals, as comments pprof shows too.
TEST(HeapProfile, StatesEachTagsExactTotalsAsAComment) {
    const std::vector<detail::TagInUse> tags = {
        {.name = "Untagged", .bytes = 72704, .blocks = 1},
        {.name = "Meshes", .bytes = 3 * 1024 * 1024 + 17, .blocks = 40},
        {.name = "Frames", .bytes = 0, .blocks = 0},
        {.name = "Tag: with colons", .bytes = 5, .blocks = 2}};
    const Profile profile = decode(detail::encode_heap_profile(known_sites(), 512 * 1024, tags));
    EXPECT_THAT(profile.comments,
                ElementsAre("nebula-debug tag in use: 72704 bytes in 1 blocks: Untagged",
                            "nebula-debug tag in use: 3145745 bytes in 40 blocks: Meshes",
                            "nebula-debug tag in use: 0 bytes in 0 blocks: Frames",
                            "nebula-debug tag in use: 5 bytes in 2 blocks: Tag: with colons"));
    EXPECT_EQ(profile.samples.size(), 2u);
    EXPECT_THAT(decode(detail::encode_heap_profile(known_sites(), 512 * 1024)).comments, IsEmpty());
}

TEST(HeapProfile, SharesOneFunctionAndLocationPerDistinctName) {
    const Profile profile = decode(detail::encode_heap_profile(known_sites(), 1));
    // leak_meshes, build_mesh, main, load_texture: "main" is in both stacks.
    EXPECT_EQ(profile.function_count, 4u);
    EXPECT_EQ(profile.location_count, 4u);
    // Each string once, so the table is no bigger than the names it holds.
    std::vector<std::string> sorted = profile.strings;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(std::adjacent_find(sorted.begin(), sorted.end()), sorted.end());
}

TEST(HeapProfile, EmptySiteListIsStillAProfile) {
    const Profile profile = decode(detail::encode_heap_profile({}, 512 * 1024));
    ASSERT_FALSE(profile.strings.empty());
    EXPECT_EQ(profile.strings[0], "");
    EXPECT_EQ(profile.sample_types.size(), 5u);
    EXPECT_EQ(profile.default_sample_type, "inuse_space");
    EXPECT_THAT(profile.samples, IsEmpty());
    EXPECT_EQ(profile.function_count, 0u);
}

// Estimates are rounded as sites are read (rounded_estimate); the profile holds int64 values.
TEST(HeapProfile, NonFiniteAndHugeEstimatesStayInRange) {
    constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
    const std::vector<nd::AllocationSite> sites = {
        {.frames = {"f"},
         .tag = "",
         .live_bytes = detail::rounded_estimate(1e30),
         .live_allocations = detail::rounded_estimate(std::numeric_limits<double>::quiet_NaN()),
         .allocated_bytes = detail::rounded_estimate(std::numeric_limits<double>::infinity()),
         .live_samples = std::numeric_limits<std::size_t>::max(),
         .lines = {},
         .system_frames = {},
         .allocated_allocations = detail::rounded_estimate(-1e30)}};
    const Profile profile = decode(detail::encode_heap_profile(sites, 1));
    ASSERT_EQ(profile.samples.size(), 1u);
    EXPECT_THAT(profile.samples[0].values, ElementsAre(0, kMax, 0, kMax, kMax));
    EXPECT_THAT(profile.samples[0].labels, UnorderedElementsAre(std::pair("tag", "")));
}

TEST(HeapProfile, FileIsTheGzippedProfileAndReplacesAnOldOne) {
    const std::filesystem::path path = temporary_path("nebula-heap-profile") += ".pb.gz";
    std::ofstream(path) << std::string(100000, 'x');  // longer than the profile: must not remain

    std::string error;
    ASSERT_TRUE(detail::write_heap_profile_file(known_sites(), 512 * 1024, path.string(), &error))
        << error;
    const std::string compressed = read_file(path);
    std::filesystem::remove(path);

    ASSERT_GE(compressed.size(), 2u);
    EXPECT_EQ(static_cast<unsigned char>(compressed[0]), 0x1f);  // gzip's magic number
    EXPECT_EQ(static_cast<unsigned char>(compressed[1]), 0x8b);
    const Profile written = decode(gunzip(compressed));
    const Profile encoded = decode(detail::encode_heap_profile(known_sites(), 512 * 1024));
    EXPECT_EQ(written.samples, encoded.samples);
    EXPECT_EQ(written.strings, encoded.strings);
}

TEST(HeapProfile, UnwritablePathsFailNamingThePathAndTheReason) {
    const std::filesystem::path missing = temporary_path("nebula-no-such-directory") / "heap.pb.gz";
    std::string error;
    EXPECT_FALSE(detail::write_heap_profile_file(known_sites(), 1, missing.string(), &error));
    EXPECT_THAT(error, HasSubstr("cannot write the heap profile '" + missing.string() + "'"));
    EXPECT_THAT(error, HasSubstr("No such file or directory"));
    EXPECT_FALSE(std::filesystem::exists(missing));
    EXPECT_FALSE(detail::write_heap_profile_file(known_sites(), 1, missing.string(), nullptr));

    const std::string directory = std::filesystem::temp_directory_path().string();
    error.clear();
    EXPECT_FALSE(detail::write_heap_profile_file(known_sites(), 1, directory, &error));
    EXPECT_THAT(error, HasSubstr("'" + directory + "'"));

#if defined(__linux__)
    EXPECT_THAT(error, HasSubstr("Is a directory"));  // Windows says "Permission denied"
    // Not even root may create a file here.
    error.clear();
    EXPECT_FALSE(
        detail::write_heap_profile_file(known_sites(), 1, "/proc/nebula-heap.pb.gz", &error));
    EXPECT_THAT(error, HasSubstr("'/proc/nebula-heap.pb.gz'"));
#endif
}

}  // namespace
