#pragma once

#include <string_view>
#include <vector>

#include "core/result.h"
#include "ivr/flow_document.h"
#include "ivr/flow_loader.h"

namespace kefu::api {

/**
 * The IVR flows as the REST layer needs them; the site implements it over the stored versions
 * and the catalog its calls take flows from. Every method blocks (storage): call it from the
 * blocking pool.
 */
class FlowService {
 public:
  virtual ~FlowService() = default;
  /** @return the current version of every flow, by id. */
  virtual Result<std::vector<ivr::FlowDocument>> list() = 0;
  /** @return the current version of a flow; NotFound. */
  virtual Result<ivr::FlowDocument> current(std::string_view id) = 0;
  /** @return one saved version; NotFound. */
  virtual Result<ivr::FlowDocument> version(std::string_view id, int version) = 0;
  /** @return every saved version, oldest first; NotFound. */
  virtual Result<std::vector<ivr::FlowDocument>> versions(std::string_view id) = 0;
  /** @return every problem of `yaml` as the document of flow `id`, with its line; empty when
   *  it is a valid flow named `id`. Saves nothing. */
  virtual std::vector<ivr::Diagnostic> check(std::string_view id, std::string_view yaml) = 0;
  /** Saves `yaml` as the next version of `id` and gives it to new calls (calls in progress keep
   *  theirs). Call check() first: an invalid document is InvalidArgument. */
  virtual Result<ivr::FlowDocument> save(std::string_view id, std::string_view yaml,
                                         std::string_view saved_by) = 0;
  /** Deletes a flow: new calls to it take their entry point's fallback. NotFound. */
  virtual Result<void> remove(std::string_view id, std::string_view removed_by) = 0;
};

}  // namespace kefu::api
