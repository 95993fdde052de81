// Fuzz target: a flow document as PUT /api/v1/flows/{id} receives it. Loading never throws or
// crashes; it gives a flow or problems, never both and never neither, and every problem names a
// line within the document.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ivr/flow_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto loaded = kefu::ivr::loadFlow(text, "fuzz.yaml");
  if ((loaded.flow == nullptr) == loaded.errors.empty()) {
    std::abort();  // a valid flow with problems, or an invalid one without any
  }
  const auto lines = static_cast<int>(std::count(text.begin(), text.end(), '\n')) + 1;
  for (const auto& problem : loaded.errors) {
    if (problem.line < 0 || problem.line > lines + 1 || problem.message.empty()) {
      std::abort();
    }
  }
  return 0;
}
