#include "options.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

namespace nv = nebula::viewer;
using ::testing::HasSubstr;

namespace {

nv::ParsedOptions parse(std::vector<const char*> arguments, const char* token = nullptr) {
    return nv::parse_options(arguments, token);
}

TEST(ViewerOptions, TakesOneSourceAndTheScreenshotOptions) {
    const nv::ParsedOptions parsed =
        parse({"run.json", "--screenshot", "out.png", "--frames=12", "--token", "secret"});
    ASSERT_EQ(parsed.error, "");
    EXPECT_EQ(parsed.options.source, "run.json");
    EXPECT_EQ(parsed.options.screenshot_path, "out.png");
    EXPECT_EQ(parsed.options.frames, 12);
    EXPECT_EQ(parsed.options.token, "secret");
}

TEST(ViewerOptions, TokenComesFromTheEnvironmentUnlessGiven) {
    EXPECT_EQ(parse({"http://127.0.0.1:9100"}, "from-env").options.token, "from-env");
    EXPECT_EQ(parse({"http://127.0.0.1:9100", "--token=given"}, "from-env").options.token, "given");
    EXPECT_EQ(parse({"http://127.0.0.1:9100"}).options.token, "");
}

TEST(ViewerOptions, RejectsWhatItCannotUse) {
    EXPECT_THAT(parse({}).error, HasSubstr("no source"));
    EXPECT_THAT(parse({"a.json", "b.json"}).error, HasSubstr("one source at a time"));
    EXPECT_THAT(parse({"a.json", "--frames", "0"}).error, HasSubstr("--frames takes"));
    EXPECT_THAT(parse({"a.json", "--frames", "ten"}).error, HasSubstr("not 'ten'"));
    EXPECT_THAT(parse({"a.json", "--screenshot"}).error, HasSubstr("--screenshot needs a value"));
    EXPECT_THAT(parse({"a.json", "--fast"}).error, HasSubstr("unknown option --fast"));
}

TEST(ViewerOptions, SourceKindFollowsTheForm) {
    EXPECT_EQ(nv::source_kind("http://host:9100"), nv::SourceKind::remote);
    EXPECT_EQ(nv::source_kind("https://host:9100"), nv::SourceKind::remote);
    EXPECT_EQ(nv::source_kind("run.csv"), nv::SourceKind::capture);
    EXPECT_EQ(nv::source_kind("run.json"), nv::SourceKind::snapshot);
}

}  // namespace
