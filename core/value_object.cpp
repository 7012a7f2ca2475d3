// Value: the inert pickled objects that ember::load reads with weights_only=false (a whole
// model's modules, a checkpoint's argparse.Namespace): their parts and Python's getattr.
#include "ember/core/value.h"

namespace ember {

namespace {
// An object's parts, in items_, in this order.
enum Part : std::size_t { kArgs, kState, kListItems, kDictItems, kParts };
}  // namespace

Value Value::object(std::string class_name, ObjectOrigin origin, Value args, Value state, Value listitems,
                    Value dictitems) {
  check(args.is_tuple(), "Value::object: args must be a tuple, found ", args.kind_name());
  check(listitems.is_list(), "Value::object: listitems must be a list, found ", listitems.kind_name());
  check(dictitems.is_dict(), "Value::object: dictitems must be a dict, found ", dictitems.kind_name());
  Value v;
  v.kind_ = Kind::object;
  v.string_ = std::move(class_name);
  v.origin_ = origin;
  v.items_.resize(kParts);
  v.items_[kArgs] = std::move(args);
  v.items_[kState] = std::move(state);
  v.items_[kListItems] = std::move(listitems);
  v.items_[kDictItems] = std::move(dictitems);
  // The steps read as Python where Python has a spelling: model.__dict__['_modules'].
  v.place(v.items_[kArgs], ".args");
  v.place(v.items_[kState], v.items_[kState].is_dict() ? ".__dict__" : ".state");
  v.place(v.items_[kListItems], ".listitems");
  v.place(v.items_[kDictItems], ".dictitems");
  return v;
}

Value Value::object(std::string class_name, ObjectOrigin origin, Value args, Value state) {
  return object(std::move(class_name), origin, std::move(args), std::move(state), list(), dict());
}

Value Value::object(std::string class_name, ObjectOrigin origin) {
  return object(std::move(class_name), origin, tuple(), Value());
}

const std::string& Value::class_name() const {
  expect(Kind::object, "an");
  return string_;
}

Value::ObjectOrigin Value::object_origin() const {
  expect(Kind::object, "an");
  return origin_;
}

const Value& Value::object_args() const {
  expect(Kind::object, "an");
  return items_[kArgs];
}

const Value& Value::object_state() const {
  expect(Kind::object, "an");
  return items_[kState];
}

const Value& Value::object_listitems() const {
  expect(Kind::object, "an");
  return items_[kListItems];
}

const Value& Value::object_dictitems() const {
  expect(Kind::object, "an");
  return items_[kDictItems];
}

namespace {
// The attribute dicts of a state: the state itself when it is a dict; both dicts of a
// (dict, slotstate) pair, as pickle's BUILD applies them (either may be None).
std::vector<const Value*> attribute_dicts(const Value& state) {
  std::vector<const Value*> dicts;
  if (state.is_dict()) dicts.push_back(&state);
  if (state.is_tuple() && state.size() == 2) {
    for (const Value& part : state.items()) {
      if (part.is_dict()) dicts.push_back(&part);
    }
  }
  return dicts;
}
}  // namespace

bool Value::hasattr(const std::string& name) const {
  for (const Value* dict : attribute_dicts(object_state())) {
    if (dict->contains(name)) return true;
  }
  return false;
}

const Value& Value::getattr(const std::string& name) const {
  const std::vector<const Value*> dicts = attribute_dicts(object_state());
  std::string known;
  for (const Value* dict : dicts) {
    if (const Value* found = dict->find(name)) return *found;
    for (const Key& key : dict->keys()) known += (known.empty() ? "" : ", ") + key_str(key);
  }
  if (dicts.empty()) {
    fail(str("object of class ", string_, " has no attribute '", name, "': its state is ",
             object_state().kind_name(), ", not an attribute dict"));
  }
  fail(str("object of class ", string_, " has no attribute '", name, "' (attributes: ",
           known.empty() ? "none" : known, ")"));
}

}  // namespace ember
