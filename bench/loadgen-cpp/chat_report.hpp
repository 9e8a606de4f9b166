// The chat run's output on stdout: a human summary, then one JSON object as the last line
// (its fields are listed in README.md, "Chat scenario").
#pragma once

#include "chat_results.hpp"
#include "config.hpp"
#include "run_record.hpp"

// Not every user signed in and connected: a short summary and the JSON line ("ok":false).
void print_chat_connect_failure(const Config& cfg, const ConnectOutcome& c, const ChatTotals& t);

void print_chat_summary(const Config& cfg, const RunRecord& rec, const ChatTotals& t, const ChatFigures& f);
void print_chat_json(const Config& cfg, const RunRecord& rec, const ChatTotals& t, const ChatFigures& f);
