// `musetalk models export` (export/model_export.h) on the tiny model set (tiny_model_set.h): a
// set for render or stream holds exactly the tensors those load (the UNet, the VAE's decoder
// half, Whisper's encoder), cast as asked; the commands load it with their usual loaders and get
// the released set's outputs, bit for bit in fp32 and within the weights' rounding in fp16 and
// bf16; the manifest's sizes and SHA-256s are the files'; its VAE refuses to encode, naming the
// folder; a set for create makes the same avatar as the released files; bad options and folders
// are refused by name and leave nothing behind; `models check` checks a set against its manifest.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <set>

#include "adapters/avatar_latents.h"
#include "avatar/avatar.h"
#include "cli_runner.h"
#include "export/export_manifest.h"
#include "export/model_export.h"
#include "files/checkpoint.h"
#include "files/safetensors_writer.h"
#include "net/sha256.h"
#include "test_support.h"
#include "tiny_model_set.h"
#include "torch_io/state_dict.h"
#include "torch_zip_writer.h"

namespace musetalk {
namespace {

namespace fs = std::filesystem;
using model_export::ExportOptions;
using model_export::ModelSetManifest;

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Every tensor of a weight file, by name.
std::map<std::string, torch::Tensor> tensors_of(const fs::path& path) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& item : load_state_dict(path.string())) out.emplace(item.key(), item.value());
  return out;
}

// Files under dir, relative, recursively.
std::set<std::string> files_under(const fs::path& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) out.insert(fs::relative(e.path(), dir).generic_string());
  }
  return out;
}

// Nothing at out and no staging folder beside it.
void expect_nothing_left(const fs::path& out) {
  EXPECT_FALSE(fs::exists(out)) << out;
  for (const auto& e : fs::directory_iterator(out.parent_path())) {
    EXPECT_EQ(e.path().filename().string().find(".partial"), std::string::npos) << e.path();
  }
}

// ||a - b|| / ||a|| in float64.
double relative_error(const torch::Tensor& a, const torch::Tensor& b) {
  const torch::Tensor x = a.to(torch::kFloat64), y = b.to(torch::kFloat64);
  return ((x - y).norm() / x.norm()).item<double>();
}

// One forward of each network on fixed inputs: the UNet on latents and audio features, the VAE
// decoding latents, Whisper encoding a log-mel; float32 on the CPU.
struct Outputs {
  torch::Tensor unet, vae, whisper;
};

Outputs run_networks(ModelSet& set) {
  torch::InferenceMode inference;
  torch::manual_seed(7);
  const auto& u = set.unet_config;
  const torch::Tensor sample = torch::randn({2, u.in_channels, 32, 32});
  const torch::Tensor audio = torch::randn({2, 50, u.cross_attention_dim});
  const torch::Tensor latents = torch::randn({2, set.vae_config.latent_channels, 32, 32});
  const torch::Tensor mel = torch::randn({1, set.whisper_config.num_mel_bins, 3000});
  const auto in = [&](const torch::Tensor& t) { return t.to(set.dtype); };
  return {set.unet->forward(in(sample), in(audio)).to(torch::kFloat32),
          set.vae->decode(in(latents)).to(torch::kFloat32),
          set.whisper->forward(in(mel)).to(torch::kFloat32)};
}

ModelSet load(const fs::path& dir, torch::ScalarType dtype = torch::kFloat32) {
  return load_model_set(ModelPaths::in(dir.string(), UNetVersion::V15), torch::kCPU, dtype);
}

// The tiny model set as released, its Whisper file with decoder tensors beside the encoder's as
// whisper-tiny's pytorch_model.bin has them (names from transformers'
// WhisperForConditionalGeneration), and stream sets exported from it in each precision, written
// once for the suite.
class ModelsExport : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new test::TempDir;
    test::write_tiny_model_set(released());
    const fs::path whisper = released() / "whisper/pytorch_model.bin";
    StateDict file = load_state_dict(whisper.string());
    torch::manual_seed(3);
    file.insert("model.decoder.embed_tokens.weight", torch::randn({512, 384}));
    file.insert("model.decoder.layers.0.fc1.weight", torch::randn({1536, 384}));
    file.insert("proj_out.weight", torch::randn({512, 384}));
    test::write_torch_zip(whisper.string(), to_file_tensors(file));
  }
  static void TearDownTestSuite() {
    delete root_;
    root_ = nullptr;
  }

  static fs::path released() { return root_->path() / "released"; }

  // The repository's sample avatar with latents made by the released set's VAE, as avatar create
  // writes them: render and stream need no encoder for it.
  static std::string avatar_with_latents() {
    const fs::path dir = root_->path() / "avatar";
    if (!fs::exists(dir)) {
      fs::copy(test::sample_dir() + "/avatar", dir, fs::copy_options::recursive);
      ModelSet set = load(released());
      const torch::Tensor latents = adapters::make_avatar_latents(
          set.vae, set.vae_config.scaling_factor, avatar::load_avatar(dir.string()), 8, nullptr);
      files::write_safetensors((dir / "latents.safetensors").string(),
                               {{"latents", to_file_tensor(latents)}});
    }
    return dir.string();
  }

  // The set exported --for stream in precision, written on first use.
  static fs::path stream_set(const std::string& precision) {
    const fs::path out = root_->path() / ("stream-" + precision);
    if (!fs::exists(out)) {
      ExportOptions o;
      o.models_dir = released().string();
      o.out = out.string();
      o.job = "stream";
      o.precision = precision;
      model_export::export_model_set(model_export::plan_export(o));
    }
    return out;
  }

  static test::TempDir* root_;
  test::TempDir dir_;
};

test::TempDir* ModelsExport::root_ = nullptr;

TEST_F(ModelsExport, StreamSetHoldsExactlyTheTensorsStreamLoadsCastToFp16) {
  const fs::path set = stream_set("fp16");
  EXPECT_EQ(files_under(set),
            (std::set<std::string>{"musetalk-models.json", "musetalkV15/musetalk.json",
                                   "musetalkV15/unet.safetensors", "sd-vae/config.json",
                                   "sd-vae/diffusion_pytorch_model.safetensors",
                                   "whisper/config.json", "whisper/model.safetensors"}));
  const std::map<std::string, std::string> weights = {
      {"musetalkV15/unet.pth", "musetalkV15/unet.safetensors"},
      {"sd-vae/diffusion_pytorch_model.bin", "sd-vae/diffusion_pytorch_model.safetensors"},
      {"whisper/pytorch_model.bin", "whisper/model.safetensors"}};
  for (const auto& [from, to] : weights) {
    SCOPED_TRACE(to);
    EXPECT_EQ(files::read_checkpoint((set / to).string()).container, files::Container::Safetensors);
    const auto source = tensors_of(released() / from);
    const auto exported = tensors_of(set / to);
    std::set<std::string> expected;
    for (const auto& [name, t] : source) {
      const bool vae_encoder = from.rfind("sd-vae", 0) == 0 && (name.rfind("encoder.", 0) == 0 ||
                                                                name.rfind("quant_conv.", 0) == 0);
      const bool not_whisper_encoder =
          from.rfind("whisper", 0) == 0 && name.rfind("model.encoder.", 0) != 0;
      if (!vae_encoder && !not_whisper_encoder) expected.insert(name);
    }
    std::set<std::string> names;
    for (const auto& [name, t] : exported) {
      names.insert(name);
      ASSERT_TRUE(source.count(name)) << name;
      EXPECT_EQ(t.scalar_type(), torch::kFloat16) << name;
      // The rounding Module::to(kHalf) applies to the released weights.
      EXPECT_TRUE(torch::equal(t, source.at(name).to(torch::kFloat16))) << name;
    }
    EXPECT_EQ(names, expected);
    if (from != "musetalkV15/unet.pth") {
      EXPECT_LT(names.size(), source.size());
    }
  }
  for (const char* config :
       {"musetalkV15/musetalk.json", "sd-vae/config.json", "whisper/config.json"}) {
    EXPECT_EQ(read_bytes(set / config), read_bytes(released() / config)) << config;
  }
}

TEST_F(ModelsExport, Fp32SetGivesTheReleasedOutputsBitForBit) {
  ModelSet from_release = load(released());
  ModelSet lean = load(stream_set("fp32"));
  const Outputs a = run_networks(from_release), b = run_networks(lean);
  EXPECT_TRUE(torch::equal(a.unet, b.unet));
  EXPECT_TRUE(torch::equal(a.vae, b.vae));
  EXPECT_TRUE(torch::equal(a.whisper, b.whisper));
}

// Run in the precision it was exported in, a set's weights are the released ones after the
// cast Module::to makes, so the outputs are the same bit for bit. Run in fp32, each weight
// differs from the released one by at most the precision's unit roundoff u (round to nearest
// with 8 significand bits: u = 2^-8 for bf16; 11 bits: u = 2^-11 for fp16), and the outputs'
// relative error (L2) is that rounding carried through the network: measured here 2.0 u for the
// UNet, 4.6 u for the VAE decoder and 1.2 u for Whisper, the same multiples in both precisions.
// The bound, 16 u, leaves more than 3x room over the largest.
constexpr double kBoundInRoundoffs = 16;
TEST_F(ModelsExport, Bf16SetMatchesTheReleasedSetInBf16AndWithinItsRoundingInFp32) {
  {
    ModelSet from_release = load(released(), torch::kBFloat16);
    ModelSet lean = load(stream_set("bf16"), torch::kBFloat16);
    const Outputs a = run_networks(from_release), b = run_networks(lean);
    EXPECT_TRUE(torch::equal(a.unet, b.unet));
    EXPECT_TRUE(torch::equal(a.vae, b.vae));
    EXPECT_TRUE(torch::equal(a.whisper, b.whisper));
  }
  ModelSet from_release = load(released());
  ModelSet lean = load(stream_set("bf16"));
  const Outputs a = run_networks(from_release), b = run_networks(lean);
  const double bound = kBoundInRoundoffs * std::ldexp(1.0, -8);
  EXPECT_LT(relative_error(a.unet, b.unet), bound);
  EXPECT_LT(relative_error(a.vae, b.vae), bound);
  EXPECT_LT(relative_error(a.whisper, b.whisper), bound);
  EXPECT_FALSE(torch::equal(a.unet, b.unet)) << "the weights were rounded";
}

TEST_F(ModelsExport, Fp16SetMatchesTheReleasedSetWithinItsRoundingInFp32) {
  ModelSet from_release = load(released());
  ModelSet lean = load(stream_set("fp16"));
  const Outputs a = run_networks(from_release), b = run_networks(lean);
  const double bound = kBoundInRoundoffs * std::ldexp(1.0, -11);
  EXPECT_LT(relative_error(a.unet, b.unet), bound);
  EXPECT_LT(relative_error(a.vae, b.vae), bound);
  EXPECT_LT(relative_error(a.whisper, b.whisper), bound);
}

TEST_F(ModelsExport, ManifestNamesEveryFileWithItsSizeSha256AndSource) {
  const fs::path set = stream_set("bf16");
  const ModelSetManifest m = model_export::read_manifest(set.string());
  EXPECT_EQ(m.job, "stream");
  EXPECT_EQ(m.precision, "bf16");
  EXPECT_EQ(m.version, "v15");
  ASSERT_EQ(m.files.size(), 6u);
  std::set<std::string> sources;
  for (const model_export::ManifestFile& f : m.files) {
    SCOPED_TRACE(f.file.path);
    EXPECT_EQ(f.file.bytes, fs::file_size(set / f.file.path));
    EXPECT_EQ(f.file.sha256, net::sha256_file_hex((set / f.file.path).string()));
    EXPECT_EQ(f.source.bytes, fs::file_size(released() / f.source.path));
    EXPECT_EQ(f.source.sha256, net::sha256_file_hex((released() / f.source.path).string()));
    EXPECT_EQ(f.dtype, f.is_config ? "" : "bfloat16");
    if (!f.is_config) {
      EXPECT_EQ(f.tensors, files::read_checkpoint((set / f.file.path).string()).tensors.size());
    }
    sources.insert(f.source.path);
  }
  EXPECT_EQ(sources,
            (std::set<std::string>{"musetalkV15/musetalk.json", "musetalkV15/unet.pth",
                                   "sd-vae/config.json", "sd-vae/diffusion_pytorch_model.bin",
                                   "whisper/config.json", "whisper/pytorch_model.bin"}));
}

void expect_no_encoder_error(const std::function<void()>& f, const fs::path& set) {
  try {
    f();
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.input(), set.string());
    EXPECT_NE(e.problem().find("exported for render/stream and has no VAE encoder"),
              std::string::npos)
        << e.problem();
    EXPECT_NE(e.fix().find("--for create"), std::string::npos) << e.fix();
    EXPECT_NE(e.fix().find("released files"), std::string::npos) << e.fix();
  }
}

TEST_F(ModelsExport, StreamSetVaeHasNoEncoderAndEncodingNamesTheFolder) {
  const fs::path set = stream_set("fp32");
  const ModelPaths paths = ModelPaths::in(set.string(), UNetVersion::V15);
  EXPECT_FALSE(vae_weights_have_encoder(paths.vae_weights));
  EXPECT_TRUE(
      vae_weights_have_encoder(ModelPaths::in(released().string(), UNetVersion::V15).vae_weights));
  ModelSet lean = load(set);
  EXPECT_FALSE(lean.vae->has_encoder());
  EXPECT_TRUE(load(released()).vae->has_encoder());
  // What render and stream do for an avatar without latents.
  const avatar::Avatar sample = avatar::load_avatar(test::sample_dir() + "/avatar");
  expect_no_encoder_error(
      [&] {
        adapters::make_avatar_latents(lean.vae, lean.vae_config.scaling_factor, sample, 2, nullptr);
      },
      set);
  expect_no_encoder_error([&] { require_vae_encoder(paths); }, set);
}

// The content decides what is built, and loading stays strict about the rest: a file with the
// encoder but without quant_conv, or without one decoder tensor, does not load.
TEST_F(ModelsExport, VaeFilesMissingPartOfAHalfStillFailByName) {
  const ModelPaths released_paths = ModelPaths::in(released().string(), UNetVersion::V15);
  const StateDict full = load_state_dict(released_paths.vae_weights);
  const auto without = [&](const std::string& prefix) {
    const fs::path dir = dir_.path() / prefix;
    fs::create_directories(dir / "sd-vae");
    fs::copy_file(released_paths.vae_config, dir / "sd-vae/config.json");
    StateDict kept;
    for (const auto& item : full) {
      if (item.key().rfind(prefix, 0) != 0) kept.insert(item.key(), item.value());
    }
    save_safetensors((dir / "sd-vae/diffusion_pytorch_model.safetensors").string(), kept);
    return ModelPaths::in(dir.string(), UNetVersion::V15);
  };
  for (const std::string prefix : {"quant_conv.", "decoder.conv_out.", "post_quant_conv."}) {
    SCOPED_TRACE(prefix);
    try {
      load_vae_alone(without(prefix), torch::kCPU, torch::kFloat32);
      ADD_FAILURE() << "loaded";
    } catch (const Error& e) {
      EXPECT_NE(e.problem().find("weights do not match the model"), std::string::npos)
          << e.problem();
      EXPECT_NE(e.problem().find(prefix), std::string::npos) << e.problem();
    }
  }
}

TEST_F(ModelsExport, V1SetHasTheV1NamesAndLoadsWithVersionV1) {
  const fs::path from = dir_.path() / "with-v1";
  fs::copy(released(), from, fs::copy_options::recursive);
  // The v1 UNet has v1.5's architecture; the tiny v1.5 files stand in for it.
  fs::create_directories(from / "musetalk");
  fs::copy_file(from / "musetalkV15/musetalk.json", from / "musetalk/musetalk.json");
  fs::copy_file(from / "musetalkV15/unet.pth", from / "musetalk/pytorch_model.bin");
  ExportOptions o;
  o.models_dir = from.string();
  o.out = (dir_.path() / "v1").string();
  o.job = "render";
  o.precision = "fp32";
  o.version = "v1";
  const ModelSetManifest m = model_export::export_model_set(model_export::plan_export(o));
  EXPECT_EQ(m.version, "v1");
  EXPECT_TRUE(fs::is_regular_file(dir_.path() / "v1/musetalk/model.safetensors"));
  EXPECT_FALSE(fs::exists(dir_.path() / "v1/musetalkV15"));
  ModelSet v1 =
      load_model_set(ModelPaths::in(o.out, UNetVersion::V1), torch::kCPU, torch::kFloat32);
  ModelSet from_release = load(released());
  EXPECT_TRUE(torch::equal(run_networks(v1).unet, run_networks(from_release).unet));

  // Loaded for v1.5 (what render does when neither --version nor the avatar names one), the
  // error says which UNet the set holds and which --version loads it.
  try {
    load_model_set(ModelPaths::in(o.out, UNetVersion::V15), torch::kCPU, torch::kFloat32);
    ADD_FAILURE() << "a v1 set loaded as v1.5";
  } catch (const Error& e) {
    EXPECT_EQ(e.input(), (fs::path(o.out) / "musetalkV15/musetalk.json").string());
    EXPECT_NE(
        e.problem().find("the models folder " + o.out + " holds the UNet of MuseTalk v1 only"),
        std::string::npos)
        << e.problem();
    EXPECT_NE(e.fix().find("--version v1"), std::string::npos) << e.fix();
  }
  // Exported again without --version: the same hint.
  const test::RunResult again = test::run_tool("models export --for render --models " + o.out +
                                               " --out " + dir_.file("again"));
  EXPECT_NE(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("musetalkV15/unet.pth"), std::string::npos) << again.output;
  EXPECT_NE(again.output.find("holds the UNet of MuseTalk v1 only"), std::string::npos)
      << again.output;
  EXPECT_NE(again.output.find("export it with --version v1"), std::string::npos) << again.output;
  EXPECT_FALSE(fs::exists(dir_.file("again")));
}

// --- the command, run as a user runs it ---

TEST_F(ModelsExport, CommandPrintsSizesAndWritesASetThatChecksAndRendersAsTheReleasedOne) {
  const fs::path out = dir_.path() / "lean";
  const test::RunResult r = test::run_tool("models export --for render --precision fp32 --models " +
                                           released().string() + " --out " + out.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* line : {"musetalkV15/unet.pth (", ") -> musetalkV15/unet.safetensors (",
                           "sd-vae/diffusion_pytorch_model.bin (", "(decoder only), float32",
                           "whisper/pytorch_model.bin (", "(encoder only), float32",
                           "UNet v1.5: loads from the new files", "\nSize: "}) {
    EXPECT_NE(r.output.find(line), std::string::npos) << line << "\n" << r.output;
  }
  EXPECT_TRUE(
      std::regex_search(r.output, std::regex("\nSize: [0-9.]+ [KMG]i?B -> [0-9.]+ [KMG]i?B")))
      << r.output;
  std::cout << r.output;

  const test::RunResult check = test::run_tool("models check --models " + out.string());
  EXPECT_EQ(check.exit_code, 0) << check.output;
  EXPECT_NE(check.output.find("exported for render in fp32, UNet v15"), std::string::npos)
      << check.output;
  const test::RunResult verify = test::run_tool("models check --verify --models " + out.string());
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  for (const char* network : {"UNet v1.5", "VAE", "Whisper"}) {
    EXPECT_TRUE(std::regex_search(verify.output, std::regex(std::string("loads +") + network)))
        << network << "\n"
        << verify.output;
  }
  const test::RunResult for_create =
      test::run_tool("models check --for create --models " + out.string());
  EXPECT_EQ(for_create.exit_code, 2) << for_create.output;
  EXPECT_NE(for_create.output.find("--for create"), std::string::npos) << for_create.output;

  // The same frames as the released files give.
  const auto render = [&](const fs::path& models, const std::string& name) {
    return test::run_tool("render --device cpu --quiet --models " + models.string() + " --avatar " +
                          avatar_with_latents() + " --audio " + test::sample_dir() +
                          "/voice.wav --out " + dir_.file(name + ".mp4") + " --frames-dir " +
                          dir_.file(name));
  };
  const test::RunResult a = render(released(), "frames-released");
  const test::RunResult b = render(out, "frames-lean");
  ASSERT_EQ(a.exit_code, 0) << a.output;
  ASSERT_EQ(b.exit_code, 0) << b.output;
  const fs::path from_release = dir_.path() / "frames-released", lean = dir_.path() / "frames-lean";
  const std::set<std::string> frames = files_under(from_release);
  EXPECT_EQ(frames.size(), 80u);  // 3.2 s at 25 fps
  EXPECT_EQ(files_under(lean), frames);
  for (const std::string& f : frames) {
    ASSERT_EQ(read_bytes(from_release / f), read_bytes(lean / f)) << f;
  }

  // An avatar without latents needs the encoder the set does not have.
  const test::RunResult sample = test::run_tool(
      "render --device cpu --quiet --models " + out.string() + " --avatar " + test::sample_dir() +
      "/avatar --audio " + test::sample_dir() + "/voice.wav --out " + dir_.file("sample.mp4"));
  EXPECT_NE(sample.exit_code, 0) << sample.output;
  EXPECT_NE(sample.output.find(out.string() + ": this model set was exported for render/stream"),
            std::string::npos)
      << sample.output;
  EXPECT_NE(sample.output.find("--for create"), std::string::npos) << sample.output;
  EXPECT_FALSE(fs::exists(dir_.file("sample.mp4")));
}

TEST_F(ModelsExport, StreamRunsOnAnFp16Set) {
  const fs::path set = stream_set("fp16");
  const std::string mp4 = dir_.file("stream.mp4");
  const test::RunResult r =
      test::run_tool("stream --device cpu --quiet --voice-out none --avatar " +
                     avatar_with_latents() + " --models " + set.string() + " --input " +
                     test::sample_dir() + "/voice.wav --output " + mp4);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_GT(fs::file_size(mp4), 0u);
}

TEST_F(ModelsExport, CheckFindsFilesMissingDamagedOrChangedAgainstTheManifest) {
  const fs::path set = dir_.path() / "copy";
  fs::copy(stream_set("fp16"), set, fs::copy_options::recursive);
  const fs::path whisper = set / "whisper/model.safetensors";
  // One byte changed, the size kept: only --verify's SHA-256 sees it.
  std::string bytes = read_bytes(whisper);
  bytes[bytes.size() - 1] ^= 1;
  std::ofstream(whisper, std::ios::binary | std::ios::trunc) << bytes;
  EXPECT_EQ(test::run_tool("models check --models " + set.string()).exit_code, 0);
  const test::RunResult changed = test::run_tool("models check --verify --models " + set.string());
  EXPECT_EQ(changed.exit_code, 1) << changed.output;
  EXPECT_NE(changed.output.find("SHA-256 differs from the manifest's"), std::string::npos)
      << changed.output;
  EXPECT_NE(changed.output.find("musetalk models export --for stream --precision fp16"),
            std::string::npos)
      << changed.output;

  fs::resize_file(whisper, bytes.size() - 8);
  const test::RunResult truncated = test::run_tool("models check --models " + set.string());
  EXPECT_EQ(truncated.exit_code, 1) << truncated.output;
  EXPECT_NE(truncated.output.find("size differs from the manifest's"), std::string::npos)
      << truncated.output;

  fs::remove(set / "musetalkV15/unet.safetensors");
  const test::RunResult missing = test::run_tool("models check --models " + set.string());
  EXPECT_EQ(missing.exit_code, 2) << missing.output;
  EXPECT_NE(missing.output.find("missing  musetalkV15/unet.safetensors"), std::string::npos)
      << missing.output;
}

struct BadExport {
  std::string args;   // after --models <released>
  std::string names;  // what the error names
};

TEST_F(ModelsExport, BadOptionsAndFoldersAreRefusedByNameAndLeaveNothing) {
  const fs::path out = dir_.path() / "lean";
  const std::string o = " --out " + out.string();
  const fs::path full = dir_.path() / "full";
  fs::create_directories(full);
  std::ofstream(full / "notes.txt") << "mine";
  const std::vector<BadExport> cases = {
      {"--for paint" + o, "--for paint"},
      {"--for stream --precision fp8" + o, "--precision fp8"},
      {"--for stream --precision auto" + o, "--precision auto"},
      {"--for stream --version v2" + o, "--version v2"},
      {"--for stream", "--out"},
      {"--precision fp16" + o, "--for"},
      {"--for stream --out " + full.string(), full.string() + ": is not empty"},
      {"--for stream --out " + (dir_.path() / "no/such/lean").string(), "does not exist"},
  };
  for (const BadExport& c : cases) {
    SCOPED_TRACE(c.args);
    const test::RunResult r =
        test::run_tool("models export --models " + released().string() + " " + c.args);
    EXPECT_NE(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find(c.names), std::string::npos) << r.output;
    expect_nothing_left(out);
  }
  EXPECT_EQ(files_under(full), std::set<std::string>{"notes.txt"});

  // Source files missing: all listed, with the download command, before anything is written.
  const fs::path empty = dir_.path() / "empty";
  fs::create_directories(empty);
  const test::RunResult none =
      test::run_tool("models export --for stream --models " + empty.string() + o);
  EXPECT_NE(none.exit_code, 0) << none.output;
  EXPECT_NE(none.output.find("6 file(s) `models export --for stream` reads are missing"),
            std::string::npos)
      << none.output;
  EXPECT_NE(none.output.find("musetalkV15/unet.pth"), std::string::npos) << none.output;
  EXPECT_NE(none.output.find("musetalk models download --for render --models " + empty.string()),
            std::string::npos)
      << none.output;
  expect_nothing_left(out);

  // An empty folder is fine and becomes the set.
  fs::create_directories(out);
  const test::RunResult into_empty =
      test::run_tool("models export --for stream --models " + released().string() + o);
  EXPECT_EQ(into_empty.exit_code, 0) << into_empty.output;
  EXPECT_TRUE(model_export::has_manifest(out.string()));
}

// A failure while writing (here the VAE config does not fit its weights, found when the VAE is
// loaded back) removes everything the export wrote.
TEST_F(ModelsExport, AFailureWhileWritingLeavesNothing) {
  const fs::path from = dir_.path() / "broken";
  fs::copy(released(), from, fs::copy_options::recursive);
  const std::string config = read_bytes(from / "sd-vae/config.json");
  const std::string changed = std::regex_replace(
      config, std::regex("\"layers_per_block\": *[0-9]+"), "\"layers_per_block\": 7");
  ASSERT_NE(changed, config);
  std::ofstream(from / "sd-vae/config.json", std::ios::trunc) << changed;
  const fs::path out = dir_.path() / "lean";
  const test::RunResult r = test::run_tool("models export --for stream --models " + from.string() +
                                           " --out " + out.string());
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("the exported VAE does not load"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("models check --verify"), std::string::npos) << r.output;
  expect_nothing_left(out);
}

// --- a set for avatar create ---

// The tiny set with S3FD, DWPose and BiSeNet at their real sizes (synthetic weights), and the
// set exported from it --for create.
class ModelsExportCreate : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new test::TempDir;
    test::write_tiny_model_set(released());
    test::write_avatar_creation_models(released());
  }
  static void TearDownTestSuite() {
    delete root_;
    root_ = nullptr;
  }
  static fs::path released() { return root_->path() / "released"; }

  static test::TempDir* root_;
  test::TempDir dir_;
};

test::TempDir* ModelsExportCreate::root_ = nullptr;

TEST_F(ModelsExportCreate, CreateSetHoldsTheWholeVaeAndThePrepNetsAndMakesTheSameAvatar) {
  const fs::path set = dir_.path() / "create";
  const test::RunResult r = test::run_tool("models export --for create --models " +
                                           released().string() + " --out " + set.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::cout << r.output;
  EXPECT_EQ(files_under(set),
            (std::set<std::string>{
                "musetalk-models.json", "sd-vae/config.json",
                "sd-vae/diffusion_pytorch_model.safetensors", "s3fd/s3fd-619a316812.safetensors",
                "dwpose/dw-ll_ucoco_384.safetensors", "face-parse-bisent/79999_iter.safetensors"}));
  const ModelSetManifest m = model_export::read_manifest(set.string());
  EXPECT_EQ(m.job, "create");
  EXPECT_EQ(m.precision, "fp32");
  for (const model_export::ManifestFile& f : m.files) {
    if (f.is_config) continue;
    SCOPED_TRACE(f.file.path);
    EXPECT_EQ(f.dtype, "float32");
    const auto source = tensors_of(released() / f.source.path);
    const auto exported = tensors_of(set / f.file.path);
    EXPECT_EQ(exported.size(), source.size());  // everything: DWPose's file holds its net only
    for (const auto& [name, t] : exported) {
      ASSERT_TRUE(source.count(name)) << name;
      EXPECT_TRUE(torch::equal(t, source.at(name))) << name;
    }
  }
  EXPECT_TRUE(vae_weights_have_encoder(ModelPaths::in(set.string(), UNetVersion::V15).vae_weights));
  const test::RunResult verify =
      test::run_tool("models check --for create --verify --models " + set.string());
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  for (const char* network : {"VAE", "S3FD", "DWPose", "BiSeNet"}) {
    EXPECT_TRUE(std::regex_search(verify.output, std::regex(std::string("loads +") + network)))
        << network << "\n"
        << verify.output;
  }

  // avatar create with a given box: the same latents as with the released files.
  const auto create = [&](const fs::path& models, const std::string& name) {
    return test::run_tool("avatar create --device cpu --batch 4 --duration 0.12 --video " +
                          test::media_dir() + "/yongen.mp4 --box 225,262,455,530 --models " +
                          models.string() + " --out " + dir_.file(name));
  };
  const test::RunResult a = create(released(), "released"), b = create(set, "lean");
  ASSERT_EQ(a.exit_code, 0) << a.output;
  ASSERT_EQ(b.exit_code, 0) << b.output;
  EXPECT_EQ(read_bytes(dir_.path() / "released/latents.safetensors"),
            read_bytes(dir_.path() / "lean/latents.safetensors"));

  // A stream set has no encoder: avatar create refuses it before reading the video.
  const fs::path stream = dir_.path() / "stream";
  ASSERT_EQ(test::run_tool("models export --for stream --models " + released().string() +
                           " --out " + stream.string())
                .exit_code,
            0);
  const test::RunResult refused = create(stream, "refused");
  EXPECT_NE(refused.exit_code, 0) << refused.output;
  EXPECT_NE(
      refused.output.find(stream.string() + ": this model set was exported for render/stream"),
      std::string::npos)
      << refused.output;
  EXPECT_FALSE(fs::exists(dir_.file("refused")));

  // Nor can a set for create be exported from it, even with the other files beside it.
  for (const char* f : {"s3fd/s3fd-619a316812.pth", "dwpose/dw-ll_ucoco_384.pth",
                        "face-parse-bisent/79999_iter.pth"}) {
    fs::create_directories((stream / f).parent_path());
    fs::copy_file(released() / f, stream / f);
  }
  const fs::path out = dir_.path() / "from-stream";
  const test::RunResult again = test::run_tool("models export --for create --models " +
                                               stream.string() + " --out " + out.string());
  EXPECT_NE(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find(stream.string() + ": this model set was exported for render/stream"),
            std::string::npos)
      << again.output;
  expect_nothing_left(out);
}

}  // namespace
}  // namespace musetalk
