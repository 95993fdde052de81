#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "store/store.h"
#include "support/site_fixture.h"

namespace kefu::test {

/** A freshly migrated store on the backend of the test's parameter, removed afterwards. */
class StoreFixture : public testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    url_ = freshStorageUrl(GetParam());
    auto opened = store::openStore(url_, {});
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(opened).value();
    auto migrated = store_->migrate();
    ASSERT_TRUE(migrated.ok()) << migrated.error().message;
  }

  void TearDown() override {
    store_.reset();
    if (url_.starts_with("sqlite:")) {
      std::filesystem::remove_all(std::filesystem::path(url_.substr(7)).parent_path());
    }
  }

  std::string url_;
  store::StorePtr store_;
};

}  // namespace kefu::test
