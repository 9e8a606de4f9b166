#pragma once
// The table of settings behind config::load and config::help_text: one row per setting with its
// flag, environment variable, help and how to apply a value. Defaults are not repeated here:
// --help shows what a default-constructed Config holds (config.hpp), so the two cannot drift.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace dchat::config {

struct Option {
  const char* flag;
  const char* env;  // "" for flags without an environment variable
  const char* help;
  // Sets the value; returns an error (naming the environment variable) or "".
  std::function<std::string(Config&, std::string_view)> apply;
  // The setting's value in `c` as --help shows it; null: none shown.
  std::function<std::string(const Config&)> show;
  // Said after the default in --help, or instead of it when the default is empty.
  const char* note = "";
  bool is_switch = false;  // "--flag" alone means "--flag=true"
};

// Every setting, in the order --help lists them and the environment is applied.
const std::vector<Option>& options();

// The default column of --help: the default value and the note.
std::string default_text(const Option& option);

}  // namespace dchat::config
