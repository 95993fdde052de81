#include "crm/customer.h"

#include <cctype>

namespace kefu::crm {
namespace {

constexpr std::size_t MaxPhones = 10;
constexpr std::size_t MaxAccounts = 20;

/** @return true when `s` is 1–`max` bytes without control characters. */
bool isPrintable(std::string_view s, std::size_t max) {
  if (s.empty() || s.size() > max) {
    return false;
  }
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return false;
    }
  }
  return true;
}

bool isPhone(std::string_view s) {
  std::size_t digits = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c >= '0' && c <= '9') {
      ++digits;
    } else if (!(c == ' ' || c == '-' || c == '(' || c == ')' || c == '.' ||
                 (c == '+' && i == 0))) {
      return false;
    }
  }
  return digits >= 3 && digits <= 20;
}

bool isIdNumber(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) {
    if (c == ' ') {
      continue;
    }
    if (!std::isalnum(static_cast<unsigned char>(c))) {
      return false;
    }
    ++n;
  }
  return n >= 4 && n <= 32;
}

}  // namespace

Result<void> validate(const Customer& customer) {
  if (!isPrintable(customer.name, 200)) {
    return Error::invalid("name", "must be 1 to 200 characters without control characters");
  }
  if (customer.phones.size() > MaxPhones) {
    return Error::invalid("phones", "at most " + std::to_string(MaxPhones) + " phone numbers");
  }
  for (std::size_t i = 0; i < customer.phones.size(); ++i) {
    if (!isPhone(customer.phones[i])) {
      return Error::invalid("phones[" + std::to_string(i) + "]",
                            "must be a phone number: 3 to 20 digits, optionally a leading +, "
                            "spaces, dashes, dots and parentheses");
    }
  }
  if (!customer.id_number.empty() && !isIdNumber(customer.id_number)) {
    return Error::invalid("id_number", "must be 4 to 32 letters and digits");
  }
  if (customer.accounts.size() > MaxAccounts) {
    return Error::invalid("accounts", "at most " + std::to_string(MaxAccounts) + " accounts");
  }
  for (std::size_t i = 0; i < customer.accounts.size(); ++i) {
    if (!isPrintable(customer.accounts[i], 64)) {
      return Error::invalid("accounts[" + std::to_string(i) + "]",
                            "must be 1 to 64 characters without control characters");
    }
  }
  return {};
}

}  // namespace kefu::crm
