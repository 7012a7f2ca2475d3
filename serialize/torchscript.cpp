// TorchScript archives: the class declarations that torch/csrc/jit/serialization/python_print.cpp
// writes (printClass: __parameters__, __buffers__), and the module tree of data.pkl with
// TorchScript's state_dict order (Module's named_parameters / named_buffers walk the class's
// attributes in order; torch/jit/_script.py's state_dict is nn.Module's).
#include "ember/serialize/torchscript.h"

#include <unordered_map>

#include "ember/serialize/pt_format.h"
#include "ember/serialize/serialize_error.h"

namespace ember::serialize {

namespace {

const std::string kNamespace = "__torch__";

bool is_identifier(const std::string& s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  for (char c : s) {
    if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

// A line of a code file as a message quotes it: at most 60 characters, bytes outside printable
// ASCII as \xNN.
std::string quoted(const std::string& line) {
  static const char* const kHex = "0123456789abcdef";
  std::string out = "'";
  for (std::size_t i = 0; i < line.size() && i < 60; ++i) {
    const auto c = static_cast<unsigned char>(line[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      out += std::string("\\x") + kHex[c >> 4] + kHex[c & 15];
    }
  }
  return out + (line.size() > 60 ? "...'" : "'");
}

// The lines of a code file, with the numbers messages give them (from 1).
class CodeLines {
 public:
  CodeLines(const std::string& text, const std::string& file, const std::string& entry)
      : text_(text), file_(file), entry_(entry) {}

  // The next line without its '\n'; false at the end of the text.
  bool next(std::string& line) {
    if (pos_ >= text_.size()) return false;
    const std::size_t end = std::min(text_.find('\n', pos_), text_.size());
    line = text_.substr(pos_, end - pos_);
    pos_ = end + 1;
    ++number_;
    return true;
  }

  [[noreturn]] void fail(const std::string& expected, const std::string& found) const {
    throw SerializeError("load", file_, entry_, "line " + std::to_string(number_) + ": expected " + expected +
                                                    ", found " + found);
  }

 private:
  const std::string& text_;
  const std::string& file_;
  const std::string& entry_;
  std::size_t pos_ = 0;
  std::size_t number_ = 0;
};

// `class Name(Base):` or `class Name:` into name and base.
void parse_class_line(const std::string& line, CodeLines& lines, std::string& name, std::string& base) {
  const std::string expected = "a class declaration 'class Name(Base):' or 'class Name:'";
  if (line.size() < 8 || line.back() != ':') lines.fail(expected, quoted(line));
  const std::string head = line.substr(6, line.size() - 7);  // between "class " and ':'
  const std::size_t open = head.find('(');
  name = head.substr(0, open);
  base.clear();
  if (open != std::string::npos) {
    if (head.back() != ')') lines.fail(expected, quoted(line));
    base = head.substr(open + 1, head.size() - open - 2);
    if (!is_identifier(base)) lines.fail(expected + " with a base class name", quoted(line));
  }
  if (!is_identifier(name)) lines.fail(expected + " with a class name", quoted(line));
}

// `  <field> = ["a", "b", ]` (TorchScript prints each item as "name", ) into its names.
std::vector<std::string> parse_name_list(const std::string& line, const std::string& field, CodeLines& lines) {
  const std::string expected = "'  " + field + " = [\"name\", ...]'";
  const std::string head = "  " + field + " = [";
  if (!starts_with(line, head)) lines.fail(expected, quoted(line));
  std::vector<std::string> names;
  std::size_t i = head.size();
  while (i < line.size() && line[i] == '"') {
    const std::size_t close = line.find('"', i + 1);
    if (close == std::string::npos || line.compare(close, 3, "\", ") != 0) lines.fail(expected, quoted(line));
    std::string name = line.substr(i + 1, close - i - 1);
    for (char c : name) {
      if (c == '\\' || static_cast<unsigned char>(c) < 0x20) lines.fail(expected + " with plain names", quoted(line));
    }
    if (name.empty()) lines.fail(expected + " with names that are not empty", quoted(line));
    names.push_back(std::move(name));
    i = close + 3;
  }
  if (i + 1 != line.size() || line[i] != ']') lines.fail(expected, quoted(line));
  return names;
}

}  // namespace

std::vector<ScriptClass> parse_script_classes(const std::string& text, const std::string& qualifier,
                                              const std::string& file, const std::string& entry) {
  std::vector<ScriptClass> classes;
  CodeLines lines(text, file, entry);
  std::string line;
  bool have_line = lines.next(line);
  while (have_line) {
    if (!starts_with(line, "class ")) {
      have_line = lines.next(line);
      continue;
    }
    ScriptClass declared;
    std::string name;
    parse_class_line(line, lines, name, declared.base);
    declared.name = qualifier + "." + name;
    for (const ScriptClass& earlier : classes) {
      if (earlier.name == declared.name) lines.fail("each class declared once", "a second class " + name);
    }
    have_line = lines.next(line);
    if (declared.is_module()) {
      const std::string below = "'  __parameters__ = [...]' below 'class " + name + "(Module):'";
      if (!have_line) lines.fail(below, "the end of the file");
      if (!starts_with(line, "  __parameters__ = ")) lines.fail(below, quoted(line));
      declared.parameters = parse_name_list(line, "__parameters__", lines);
      have_line = lines.next(line);
      if (have_line && starts_with(line, "  __buffers__ = ")) {
        declared.buffers = parse_name_list(line, "__buffers__", lines);
        have_line = lines.next(line);
      }
    }
    classes.push_back(std::move(declared));
  }
  return classes;
}

std::string script_class_display_name(const std::string& name) {
  std::string out;
  std::size_t pos = 0;
  while (pos <= name.size()) {
    const std::size_t dot = std::min(name.find('.', pos), name.size());
    const std::string part = name.substr(pos, dot - pos);
    const bool noise = (pos == 0 && part == kNamespace) || starts_with(part, "___torch_mangle_");
    if (!noise) out += (out.empty() ? "" : ".") + part;
    pos = dot + 1;
  }
  return out.empty() ? name : out;
}

bool is_torchscript_archive(const ZipReader& zip) {
  if (zip.entries().empty()) return false;
  const std::string& first = zip.entries().front().name;
  if (first.find('/') == std::string::npos) return false;
  const std::string prefix = first.substr(0, first.find('/') + 1);
  if (zip.find(prefix + "constants.pkl") == nullptr) return false;
  for (const ZipReader::Entry& entry : zip.entries()) {
    if (starts_with(entry.name, prefix + "code/")) return true;
  }
  return false;
}

bool is_torchscript_archive(const MappedFile& file) {
  if (!ZipReader::looks_like_zip(file.data(), file.size())) return false;
  try {
    return is_torchscript_archive(ZipReader(file.data(), file.size(), file.path()));
  } catch (const SerializeError&) {
    return false;
  }
}

namespace {

// Walks data.pkl's module objects, reading each class's declaration from code/ once.
class ArchiveReader {
 public:
  ArchiveReader(const ZipReader& zip, std::string prefix, const std::string& file, const TorchScriptLimits& limits)
      : zip_(zip), prefix_(std::move(prefix)), file_(file), limits_(limits) {}

  // The declaration of a class of the archive's namespace, or nullptr for any other class.
  const ScriptClass* declaration(const std::string& class_name);
  ScriptModule read_module(const Value& object);

 private:
  [[noreturn]] void fail_data(const std::string& reason) const {
    throw SerializeError("load", file_, prefix_ + "data.pkl", reason);
  }
  const std::vector<ScriptClass>& code_file(const std::string& qualifier);
  std::string code_entry(const std::string& qualifier) const;

  const ZipReader& zip_;
  std::string prefix_;
  const std::string& file_;
  TorchScriptLimits limits_;
  std::uint64_t code_read_ = 0;
  std::unordered_map<std::string, std::vector<ScriptClass>> files_;  // by qualifier
};

// The code file of a qualifier: __torch__.a.b is code/__torch__/a/b.py.
std::string ArchiveReader::code_entry(const std::string& qualifier) const {
  std::string path = qualifier;
  for (char& c : path) c = c == '.' ? '/' : c;
  return prefix_ + "code/" + path + ".py";
}

// The classes that the code file of a qualifier declares.
const std::vector<ScriptClass>& ArchiveReader::code_file(const std::string& qualifier) {
  auto known = files_.find(qualifier);
  if (known != files_.end()) return known->second;
  const std::string name = code_entry(qualifier);
  const ZipReader::Entry* entry = zip_.find(name);
  if (entry == nullptr) {
    throw SerializeError("load", file_, name, "missing: the code file that declares the classes of " + qualifier);
  }
  if (entry->size > limits_.max_code_file_size) {
    throw SerializeError("load", file_, name, "code file of " + std::to_string(entry->size) +
                                                  " bytes; the limit for one is " +
                                                  std::to_string(limits_.max_code_file_size) +
                                                  " (TorchScriptLimits::max_code_file_size)");
  }
  if (entry->size > limits_.max_code_size - std::min(code_read_, limits_.max_code_size)) {
    throw SerializeError("load", file_, name, "the code files read come to more than " +
                                                  std::to_string(limits_.max_code_size) +
                                                  " bytes (TorchScriptLimits::max_code_size)");
  }
  code_read_ += entry->size;
  const std::vector<std::uint8_t> bytes = zip_.extract(*entry);
  const std::string text(bytes.begin(), bytes.end());
  return files_.emplace(qualifier, parse_script_classes(text, qualifier, file_, name)).first->second;
}

const ScriptClass* ArchiveReader::declaration(const std::string& class_name) {
  const std::size_t dot = class_name.rfind('.');
  if (!starts_with(class_name, kNamespace + ".") || dot == std::string::npos) return nullptr;
  const std::string qualifier = class_name.substr(0, dot);
  for (std::size_t pos = 0; pos <= qualifier.size();) {  // no "..", "/" or other path tricks
    const std::size_t end = std::min(qualifier.find('.', pos), qualifier.size());
    if (!is_identifier(qualifier.substr(pos, end - pos))) fail_data("class name '" + class_name + "' is not a TorchScript name");
    pos = end + 1;
  }
  for (const ScriptClass& declared : code_file(qualifier)) {
    if (declared.name == class_name) return &declared;
  }
  throw SerializeError("load", file_, code_entry(qualifier),
                       "declares no class " + class_name.substr(dot + 1) + " (the class of a data.pkl object)");
}

ScriptModule ArchiveReader::read_module(const Value& object) {
  const ScriptClass* declared = object.is_object() && object.object_origin() != Value::ObjectOrigin::global
                                    ? declaration(object.class_name())
                                    : nullptr;
  if (declared == nullptr || !declared->is_module()) {
    fail_data(object.path() + ": expected a TorchScript module (an object of a __torch__ class declared as "
                              "'class Name(Module):'), found " +
              (object.is_object() ? "an object of class " + object.class_name() : std::string("a ") + object.kind_name()));
  }
  const Value& attributes = object.object_state();
  if (!attributes.is_dict()) {
    fail_data(object.path() + ": expected the attributes of " + object.class_name() + " (a dict) as its state, found " +
              attributes.kind_name());
  }
  ScriptModule module;
  module.class_name = declared->name;
  module.object = &object;
  module.parameters = declared->parameters;
  module.buffers = declared->buffers;
  for (const std::vector<std::string>* names : {&module.parameters, &module.buffers}) {
    const char* what = names == &module.parameters ? "parameter" : "buffer";
    for (const std::string& name : *names) {
      const Value* value = attributes.find(name);
      if (value == nullptr) {
        fail_data(object.path() + ": class " + declared->name + " declares the " + what + " '" + name +
                  "', which its object lacks");
      }
      if (!value->is_tensor() && !value->is_none()) {
        fail_data(value->path() + ": expected the " + std::string(what) + " '" + name + "' to be a tensor or None, found " +
                  (value->is_object() ? "an object of class " + value->class_name() : std::string("a ") + value->kind_name()));
      }
    }
  }
  for (const auto& [key, value] : attributes) {
    const auto* name = std::get_if<std::string>(&key);
    if (name == nullptr || !value.is_object() || value.object_origin() == Value::ObjectOrigin::global) continue;
    const ScriptClass* child = declaration(value.class_name());
    // The Value tree is as deep as the pickle machine's limits allow, so this recursion is too.
    if (child != nullptr && child->is_module()) module.modules.emplace_back(*name, read_module(value));
  }
  return module;
}

void save_to_state_dict(const ScriptModule& module, const std::string& prefix, nn::StateDict& out) {
  for (const std::vector<std::string>* names : {&module.parameters, &module.buffers}) {
    for (const std::string& name : *names) {
      const Value& value = module.object->getattr(name);
      if (!value.is_none()) out.set(prefix + name, value.as_tensor().detach());
    }
  }
  for (const auto& [name, child] : module.modules) save_to_state_dict(child, prefix + name + ".", out);
}

}  // namespace

ScriptArchive load_torchscript(const std::shared_ptr<MappedFile>& file, const TorchScriptLimits& limits) {
  PickleOptions inert;
  inert.weights_only = false;
  ScriptArchive archive;
  archive.data = std::make_shared<const Value>(load_pt(file, inert));
  const ZipReader zip(file->data(), file->size(), file->path());
  if (!is_torchscript_archive(zip)) {
    throw SerializeError("load", file->path(), "", "not a TorchScript archive (no constants.pkl and code/ in its folder)");
  }
  const std::string& first = zip.entries().front().name;
  ArchiveReader reader(zip, first.substr(0, first.find('/') + 1), file->path(), limits);
  archive.root = reader.read_module(*archive.data);
  return archive;
}

nn::StateDict script_module_state_dict(const ScriptModule& module) {
  nn::StateDict out;
  save_to_state_dict(module, "", out);
  return out;
}

}  // namespace ember::serialize
