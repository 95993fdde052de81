#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "api/flow_service.h"
#include "core/time_source.h"
#include "ivr/flow.h"
#include "ivr/flow_document.h"

namespace kefu::server {

/**
 * The site's IVR flows: documents saved through the API (every version kept in storage) and the
 * files of `ivr.flows_dir`. A valid document saved is handed to `install`, which gives it to new
 * calls; a deleted flow to `uninstall`. Both are called on the calling thread (the blocking pool):
 * they must post to the control loop. Thread-safe.
 */
class SiteFlows final : public api::FlowService {
 public:
  using Install = std::function<void(const std::string& id, ivr::FlowPtr flow)>;
  using Uninstall = std::function<void(const std::string& id)>;

  SiteFlows(ivr::FlowDocumentRepository& repository, const TimeSource& time,
            std::filesystem::path flows_dir, Install install, Uninstall uninstall);

  /**
   * Brings the files of the flows directory into storage (a file newer than the flow's last
   * change is saved as its next version, by "file:<name>"; an invalid file is logged with its
   * lines and skipped) and installs the current version of every stored flow. Blocking; call once
   * at start. @return how many flows were installed.
   */
  Result<int> start();

  /**
   * Looks at the flows directory again: a file written since the last look (and newer than the
   * flow's last change) is saved as the next version and installed, so an edited file reaches new
   * calls without a restart. Blocking (files, storage); call it now and then, off the loop.
   * @return how many flows were installed.
   */
  int rescan();

  Result<std::vector<ivr::FlowDocument>> list() override;
  Result<ivr::FlowDocument> current(std::string_view id) override;
  Result<ivr::FlowDocument> version(std::string_view id, int version) override;
  Result<std::vector<ivr::FlowDocument>> versions(std::string_view id) override;
  std::vector<ivr::Diagnostic> check(std::string_view id, std::string_view yaml) override;
  Result<ivr::FlowDocument> save(std::string_view id, std::string_view yaml,
                                 std::string_view saved_by) override;
  Result<void> remove(std::string_view id, std::string_view removed_by) override;

 private:
  /** Parses and validates `yaml` as flow `id` (relative prompt files from the flows directory). */
  ivr::LoadedFlow load(std::string_view id, std::string_view yaml) const;
  /** Saves the file as the flow's next version when it is newer than the flow's last change and
   *  valid; @return the flow to install, or null. */
  ivr::FlowPtr importFile(const std::filesystem::path& file);
  /** @return the flow files whose modification time changed since the last call (all of them the
   *  first time), with that time. */
  std::vector<std::pair<std::filesystem::path, std::int64_t>> changedFiles();

  // Not owned, outlive this.
  ivr::FlowDocumentRepository& repository_;
  const TimeSource& time_;
  // Owned.
  std::filesystem::path flows_dir_;
  Install install_;
  Uninstall uninstall_;
  std::mutex files_mutex_;                              // one look at the directory at a time
  std::map<std::filesystem::path, std::int64_t> seen_;  // file → modification time last looked at
};

}  // namespace kefu::server
