# Checks that docs/api.md, the API reference, is complete and current (ctest -R api_reference).
#
#   cmake -DSOURCE_DIR=<ember checkout> -P docs/check_api.cmake
#
# The page is written by hand; this script reads the public headers (ember.h and what it
# includes, transitively, as "ember/<folder>/...") and fails, naming the
# header or the line of api.md, when
#   1. a public name the headers declare is missing from the page's tables: every class that
#      derives, directly or through others, from nn::Module, optim::Optimizer or
#      optim::LRScheduler (and aliases of one, such as optim::Adam), every class whose
#      constructor takes an optim::Optimizer& (ReduceLROnPlateau), every class and free
#      function at namespace scope in ember, ember::nn::functional, ember::nn::init,
#      ember::nn::utils and ember::data;
#   2. a table row names something the headers no longer declare (a stale row);
#   3. a class or function of torch.nn or torch.optim (PyTorch 1.13, listed below) is neither
#      an ember row's counterpart nor under "Not in ember yet", or is listed there although
#      ember now has a class of that name.
#
# How the page is read. In the tables of api.md, the first column names ember's API in
# backticks, relative to namespace ember (`nn::Conv2d`, `nn::functional::conv2d`, `zeros`,
# `Tensor::backward`); the second holds the PyTorch counterparts (`torch.nn.Conv2d`). Under the
# heading "## Not in ember yet", each "### torch.nn", "### torch.optim" or
# "### torch.optim.lr_scheduler" subsection has a table whose second column lists PyTorch's
# names without the prefix (`Conv1d`).
#
# How the headers are read: without a compiler, so that the test needs nothing but CMake.
# Comments, string and character literals and preprocessor lines are dropped; the text is cut
# at braces, and a stack of scopes (namespace, class, anything else) says where each
# declaration sits. A declaration whose first '(' follows an unqualified identifier is a
# function; `class X : public Y {` or `struct X : Y {` is a class deriving from Y. Function
# bodies and initialisers are skipped. This is enough for headers that follow STYLE.md (one
# declaration per statement, no macros that declare things; EMBER_ARG only declares an options
# class's setter, getter and member, which need no row).

# The project's minimum; list(POP_FRONT) and list(POP_BACK) need 3.15, list(TRANSFORM) 3.12.
cmake_minimum_required(VERSION 3.16)

if(NOT SOURCE_DIR)
  get_filename_component(SOURCE_DIR "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)
endif()
set(API_MD "${SOURCE_DIR}/docs/api.md")

# PyTorch 1.13's torch.nn.modules.__all__, torch.optim's optimizers and
# torch.optim.lr_scheduler.__all__ (read from /usr/lib/python3/dist-packages/torch). Only the
# names of a newer PyTorch need adding here; the page says which ember has.
set(TORCH_NN
  Module Identity Linear Conv1d Conv2d Conv3d ConvTranspose1d ConvTranspose2d ConvTranspose3d
  Threshold ReLU Hardtanh ReLU6 Sigmoid Tanh Softmax Softmax2d LogSoftmax ELU SELU CELU GLU GELU
  Hardshrink LeakyReLU LogSigmoid Softplus Softshrink MultiheadAttention PReLU Softsign Softmin
  Tanhshrink RReLU L1Loss NLLLoss KLDivLoss MSELoss BCELoss BCEWithLogitsLoss NLLLoss2d
  PoissonNLLLoss CosineEmbeddingLoss CTCLoss HingeEmbeddingLoss MarginRankingLoss
  MultiLabelMarginLoss MultiLabelSoftMarginLoss MultiMarginLoss SmoothL1Loss GaussianNLLLoss
  HuberLoss SoftMarginLoss CrossEntropyLoss Container Sequential ModuleList ModuleDict
  ParameterList ParameterDict AvgPool1d AvgPool2d AvgPool3d MaxPool1d MaxPool2d MaxPool3d
  MaxUnpool1d MaxUnpool2d MaxUnpool3d FractionalMaxPool2d FractionalMaxPool3d LPPool1d LPPool2d
  LocalResponseNorm BatchNorm1d BatchNorm2d BatchNorm3d InstanceNorm1d InstanceNorm2d
  InstanceNorm3d LayerNorm GroupNorm SyncBatchNorm Dropout Dropout1d Dropout2d Dropout3d
  AlphaDropout FeatureAlphaDropout ReflectionPad1d ReflectionPad2d ReflectionPad3d
  ReplicationPad2d ReplicationPad1d ReplicationPad3d CrossMapLRN2d Embedding EmbeddingBag RNNBase
  RNN LSTM GRU RNNCellBase RNNCell LSTMCell GRUCell PixelShuffle PixelUnshuffle Upsample
  UpsamplingNearest2d UpsamplingBilinear2d PairwiseDistance AdaptiveMaxPool1d AdaptiveMaxPool2d
  AdaptiveMaxPool3d AdaptiveAvgPool1d AdaptiveAvgPool2d AdaptiveAvgPool3d TripletMarginLoss
  ZeroPad2d ConstantPad1d ConstantPad2d ConstantPad3d Bilinear CosineSimilarity Unfold Fold
  AdaptiveLogSoftmaxWithLoss TransformerEncoder TransformerDecoder TransformerEncoderLayer
  TransformerDecoderLayer Transformer LazyLinear LazyConv1d LazyConv2d LazyConv3d
  LazyConvTranspose1d LazyConvTranspose2d LazyConvTranspose3d LazyBatchNorm1d LazyBatchNorm2d
  LazyBatchNorm3d LazyInstanceNorm1d LazyInstanceNorm2d LazyInstanceNorm3d Flatten Unflatten
  Hardsigmoid Hardswish SiLU Mish TripletMarginWithDistanceLoss ChannelShuffle)
set(TORCH_OPTIM
  Optimizer Adadelta Adagrad Adam AdamW SparseAdam Adamax ASGD SGD RAdam Rprop RMSprop NAdam LBFGS)
set(TORCH_LR_SCHEDULER
  LambdaLR MultiplicativeLR StepLR MultiStepLR ConstantLR LinearLR ExponentialLR SequentialLR
  CosineAnnealingLR ChainedScheduler ReduceLROnPlateau CyclicLR CosineAnnealingWarmRestarts
  OneCycleLR PolynomialLR)

set(problems "")
macro(problem text)
  string(APPEND problems "  ${text}\n")
endmacro()

# ---- 1. the public headers ------------------------------------------------------------------
set(headers "")
set(queue "ember.h")
while(queue)
  list(POP_FRONT queue header)
  if(header IN_LIST headers)
    continue()
  endif()
  if(NOT EXISTS "${SOURCE_DIR}/${header}")
    problem("${header}: included but not found")
    continue()
  endif()
  list(APPEND headers "${header}")
  file(READ "${SOURCE_DIR}/${header}" raw)
  # The public headers this one includes: "ember/<folder>/x.h" -> <folder>/x.h.
  set(folders "core|tensor|nn|optim|serialize|data|train")
  string(REGEX MATCHALL "(^|\n)[ \t]*#[ \t]*include[ \t]*\"ember/(${folders})/[^\"]+\""
         includes "${raw}")
  list(TRANSFORM includes REPLACE "^[^\"]*\"ember/([^\"]+)\"$" "\\1")
  list(APPEND queue ${includes})
endwhile()

# ---- 2. what they declare ---------------------------------------------------------------------
# Per declaration, qualified relative to namespace ember ("nn::Conv2d", "zeros"):
#   known      every class, enum, alias and function, and Class::member for member functions
#   classes    classes and aliases, with class_bases_<key>, class_template_<key>, class_file_<key>
#   functions  namespace-scope functions, with func_file_<key>
#   sched_like classes whose constructor takes an Optimizer&
set(known "")
set(classes "")
set(functions "")
set(sched_like "")
set(keywords operator decltype sizeof alignof alignas noexcept static_assert if for while switch
             return throw catch new delete explicit)

# "ember::nn::functional" -> "nn::functional"; "ember" -> "".
function(relative_namespace ns out)
  string(REGEX REPLACE "^ember(::)?" "" rel "${ns}")
  set(${out} "${rel}" PARENT_SCOPE)
endfunction()

# The identifier just before the first '(' of a declaration, if it names a function there:
# not an operator, a keyword, a macro, a qualified member defined out of its class, or a
# variable initialised with a call.
function(function_name decl out)
  set(${out} "" PARENT_SCOPE)
  string(FIND "${decl}" "(" paren)
  if(paren EQUAL -1)
    return()
  endif()
  string(SUBSTRING "${decl}" 0 ${paren} before)
  if(before MATCHES "(^|[^A-Za-z0-9_])operator([^A-Za-z0-9_]|$)")
    return()
  endif()
  if(before MATCHES "^ *(using|typedef|friend|static_assert|namespace|class|struct|enum|union)( |$)")
    return()
  endif()
  if(NOT before MATCHES "([A-Za-z_][A-Za-z0-9_]*) *$")
    return()
  endif()
  set(name "${CMAKE_MATCH_1}")
  if(before MATCHES "(::|=|\\.|->|,|\\() *${name} *$" OR name IN_LIST keywords
     OR name MATCHES "^[A-Z0-9_]+$")
    return()
  endif()
  set(${out} "${name}" PARENT_SCOPE)
endfunction()

# "OptimizerBase<BasicAdamOptions<Decay>, AdamParamState>" -> "OptimizerBase".
function(base_names list_text out)
  set(text "${list_text}")
  while(text MATCHES "<[^<>]*>")
    string(REGEX REPLACE "<[^<>]*>" "" text "${text}")
  endwhile()
  string(REGEX REPLACE "(public|protected|private|virtual|final)( |$)" "" text "${text}")
  string(REPLACE "," ";" parts "${text}")
  set(names "")
  foreach(part IN LISTS parts)
    if(part MATCHES "([A-Za-z_][A-Za-z0-9_]*) *$")
      list(APPEND names "${CMAKE_MATCH_1}")
    endif()
  endforeach()
  set(${out} "${names}" PARENT_SCOPE)
endfunction()

foreach(header IN LISTS headers)
  file(READ "${SOURCE_DIR}/${header}" text)
  # Comments and literals in one pass, so that whichever starts first wins ("//" in a string,
  # a quote in a comment).
  string(REGEX REPLACE
         "//[^\n]*|/\\*([^*]|\\*+[^*/])*\\*+/|\"([^\"\\\\\n]|\\\\.)*\"|'([^'\\\\\n]|\\\\.)*'"
         "" text "${text}")
  string(REGEX REPLACE "(^|\n)[ \t]*#[^\n]*" "\n" text "${text}")
  string(REGEX REPLACE "[\n\r\t\\\\]" " " text "${text}")
  string(REGEX REPLACE "[][]" "" text "${text}")  # [[nodiscard]], a[3]: brackets would confuse lists
  string(REGEX REPLACE "  +" " " text "${text}")
  # `= {}` and `= {1, 2}` are values (default arguments, initialisers), not scopes.
  string(REGEX REPLACE "= ?{[^{}]*}" "= init" text "${text}")
  # ';' separates CMake list items: statements end in '`' from here on.
  string(REPLACE ";" "`" text "${text}")
  string(REGEX MATCHALL "[{}]|[^{}]+" tokens "${text}")

  set(stack "")  # ns:<name> | class:<key> | other
  list(LENGTH tokens count)
  set(i 0)
  while(i LESS count)
    list(GET tokens ${i} token)
    math(EXPR i "${i} + 1")
    if(token STREQUAL "}")
      list(POP_BACK stack)
      continue()
    endif()
    if(token STREQUAL "{")  # right after another brace: nothing names this scope
      list(APPEND stack other)
      continue()
    endif()
    set(opens FALSE)
    if(i LESS count)
      list(GET tokens ${i} next)
      if(next STREQUAL "{")
        set(opens TRUE)
        math(EXPR i "${i} + 1")
      endif()
    endif()

    # Where this text sits: the namespaces on the bottom of the stack, then at most one class
    # (classes are pushed only when they are declared at namespace scope in ember, outside
    # detail), else somewhere to skip (a function body, a nested class, an initialiser).
    set(ns "")
    set(rest "")
    foreach(entry IN LISTS stack)
      if(entry MATCHES "^ns:(.*)" AND NOT rest)
        string(APPEND ns "::${CMAKE_MATCH_1}")
      else()
        list(APPEND rest "${entry}")
      endif()
    endforeach()
    string(REGEX REPLACE "^::" "" ns "${ns}")
    set(where other)
    if(rest MATCHES "^class:([^;]*)$")
      set(where class)
      set(owner "${CMAKE_MATCH_1}")
    elseif(NOT rest AND ns MATCHES "^ember(::|$)" AND NOT ns MATCHES "(^|::)(detail|<anon>)(::|$)")
      set(where namespace)
    endif()
    relative_namespace("${ns}" rel)
    set(prefix "")
    if(rel)
      set(prefix "${rel}::")
    endif()

    string(REPLACE "`" ";" pieces "${token}")
    list(LENGTH pieces npieces)
    set(k 0)
    set(head "")
    foreach(piece IN LISTS pieces)
      math(EXPR k "${k} + 1")
      string(STRIP "${piece}" piece)
      if(k EQUAL npieces)
        set(head "${piece}")
      endif()
      if(piece STREQUAL "")
        continue()
      endif()
      if(where STREQUAL "namespace")
        if(piece MATCHES "^using ([A-Za-z_][A-Za-z0-9_]*) ?= ?(.*)$")
          set(key "${prefix}${CMAKE_MATCH_1}")
          base_names("${CMAKE_MATCH_2}" target)
          list(APPEND known "${key}")
          list(APPEND classes "${key}")
          set("class_bases_${key}" "${target}")
          set("class_template_${key}" FALSE)
          set("class_file_${key}" "${header}")
          set("alias_${key}" TRUE)  # required only when it names a layer or an optimizer
          continue()
        endif()
        if(piece MATCHES "^using ([A-Za-z_][A-Za-z0-9_:]*::)?([A-Za-z_][A-Za-z0-9_]*)$")
          list(APPEND known "${prefix}${CMAKE_MATCH_2}")  # using serialize::SaveOptions
          continue()
        endif()
        function_name("${piece}" name)
        if(name)
          list(APPEND known "${prefix}${name}")
          if(NOT "${prefix}${name}" IN_LIST functions)
            list(APPEND functions "${prefix}${name}")
            set("func_file_${prefix}${name}" "${header}")
          endif()
        endif()
      elseif(where STREQUAL "class")
        function_name("${piece}" name)
        if(name)
          list(APPEND known "${owner}::${name}")
        endif()
        string(REGEX REPLACE ".*::" "" simple "${owner}")
        if(piece MATCHES "(^|[^A-Za-z0-9_~:])${simple} ?\\( ?([A-Za-z_:]*::)?Optimizer ?&")
          list(APPEND sched_like "${owner}")
        endif()
      endif()
    endforeach()

    if(NOT opens)
      continue()
    endif()
    # What the '{' opens.
    if(head MATCHES "(^| )namespace ([A-Za-z_][A-Za-z0-9_:]*) ?$")
      string(REPLACE "::" ";" parts "${CMAKE_MATCH_2}")
      foreach(part IN LISTS parts)
        list(APPEND stack "ns:${part}")
      endforeach()
      list(LENGTH parts nparts)
      if(nparts GREATER 1)
        # `namespace a::b {` closes with one brace: keep the parts as one entry.
        foreach(part IN LISTS parts)
          list(POP_BACK stack)
        endforeach()
        string(REPLACE ";" "::" joined "${parts}")
        list(APPEND stack "ns:${joined}")
      endif()
    elseif(head MATCHES "(^| )namespace ?$")
      list(APPEND stack "ns:<anon>")
    elseif(where STREQUAL "namespace" AND head MATCHES
           "(^| )(class|struct|union) ([A-Z][A-Z0-9_]+ )?([A-Za-z_][A-Za-z0-9_]*)( final)? ?(:([^:].*))?$")
      # ([A-Z][A-Z0-9_]+ )? is an export macro, should one appear: class EMBER_API Conv2d.
      set(name "${CMAKE_MATCH_4}")
      set(bases_text "${CMAKE_MATCH_7}")
      set(key "${prefix}${name}")
      list(APPEND stack "class:${key}")
      if(head MATCHES "(^| )enum ")
        list(APPEND known "${key}")  # enum class Dtype : std::uint8_t
      else()
        base_names("${bases_text}" bases)
        list(APPEND known "${key}")
        list(APPEND classes "${key}")
        set("class_bases_${key}" "${bases}")
        set("class_file_${key}" "${header}")
        if(head MATCHES "^template ?<")
          set("class_template_${key}" TRUE)
        else()
          set("class_template_${key}" FALSE)
        endif()
      endif()
    elseif(where STREQUAL "namespace" AND head MATCHES "(^| )enum ([A-Za-z_][A-Za-z0-9_]*)")
      list(APPEND known "${prefix}${CMAKE_MATCH_2}")
      list(APPEND stack other)
    else()
      list(APPEND stack other)
    endif()
  endwhile()
endforeach()
list(REMOVE_DUPLICATES known)
list(REMOVE_DUPLICATES classes)
list(REMOVE_DUPLICATES sched_like)

# Classes deriving from the three bases, through any number of others (templates included,
# so that Adam, an alias of BasicAdam<...> : OptimizerBase<...> : Optimizer, counts).
set(roots nn::Module optim::Optimizer optim::LRScheduler)
set(derived "")
set(derived_simple Module Optimizer LRScheduler)
set(changed TRUE)
while(changed)
  set(changed FALSE)
  foreach(key IN LISTS classes)
    if(key IN_LIST derived OR key IN_LIST roots)
      continue()
    endif()
    foreach(base IN LISTS "class_bases_${key}")
      if(base IN_LIST derived_simple)
        list(APPEND derived "${key}")
        string(REGEX REPLACE ".*::" "" simple "${key}")
        list(APPEND derived_simple "${simple}")
        set(changed TRUE)
        break()
      endif()
    endforeach()
  endforeach()
endwhile()

# What the page must list.
set(required "")
foreach(key IN LISTS roots derived sched_like)
  if(NOT class_template_${key})
    list(APPEND required "${key}")
  endif()
endforeach()
foreach(key IN LISTS classes)
  if(key MATCHES "^(data::)?[A-Za-z_][A-Za-z0-9_]*$" AND NOT class_template_${key}
     AND NOT alias_${key})
    list(APPEND required "${key}")
  endif()
endforeach()
foreach(key IN LISTS functions)
  if(key MATCHES "^((nn::functional|nn::init|nn::utils|data)::)?[A-Za-z_][A-Za-z0-9_]*$")
    list(APPEND required "${key}")
  endif()
endforeach()
list(REMOVE_DUPLICATES required)
if(DUMP)
  string(REPLACE ";" "\n  " dump "${required}")
  message(STATUS "required:\n  ${dump}")
  string(REPLACE ";" "\n  " dump "${known}")
  message(STATUS "known:\n  ${dump}")
endif()

# A guard against the reader itself breaking (a new header layout, a changed ember.h): it
# must find the layers, optimizers and ops that have been there since the start.
foreach(key nn::Module nn::Linear nn::Conv2d optim::SGD optim::StepLR nn::functional::relu zeros save)
  if(NOT key IN_LIST required)
    problem("check_api.cmake: did not find `${key}` in the public headers: fix the reader")
  endif()
endforeach()

# ---- 3. what the page says ----------------------------------------------------------------------
if(NOT EXISTS "${API_MD}")
  message(FATAL_ERROR "${API_MD} does not exist")
endif()
file(READ "${API_MD}" page)
# One list item per line: ';' (a list separator), brackets (which would join items) and
# backslashes carry no names, so they go first.
string(REGEX REPLACE "[][;\\]" " " page "${page}")
string(REPLACE "\n" ";" lines "${page}")
set(mentioned "")   # ember names in the first column of the tables
set(covered "")     # torch.* names in the second column
set(missing "")     # torch.* names under "Not in ember yet"
set(section "")
set(subsection "")
set(line_no 0)
foreach(line IN LISTS lines)
  math(EXPR line_no "${line_no} + 1")
  if(line MATCHES "^## (.*)")
    set(section "${CMAKE_MATCH_1}")
    set(subsection "")
    continue()
  elseif(line MATCHES "^### (.*)")
    set(subsection "${CMAKE_MATCH_1}")
    continue()
  endif()
  if(NOT line MATCHES "^\\|" OR line MATCHES "^\\|[ :|-]*$")
    continue()
  endif()
  # Cells: "| a | b | c |" -> a;b;c (a cell holds no '|').
  string(REGEX REPLACE "^\\| *| *\\| *$" "" row "${line}")
  string(REGEX REPLACE " *\\| *" ";" cells "${row}")
  list(LENGTH cells ncells)
  if(ncells LESS 2)
    continue()
  endif()
  list(GET cells 0 first)
  list(GET cells 1 second)
  string(REGEX MATCHALL "`[^`]+`" first_names "${first}")
  string(REGEX MATCHALL "`[^`]+`" second_names "${second}")
  if(section MATCHES "^Not in ember")
    if(subsection MATCHES "^torch\\.optim\\.lr_scheduler")
      set(torch_prefix "torch.optim.lr_scheduler.")
    elseif(subsection MATCHES "^torch\\.optim")
      set(torch_prefix "torch.optim.")
    elseif(subsection MATCHES "^torch\\.nn")
      set(torch_prefix "torch.nn.")
    else()
      if(second_names)
        problem("api.md:${line_no}: a table under \"Not in ember yet\" outside a ### torch.nn, torch.optim or torch.optim.lr_scheduler subsection")
      endif()
      continue()
    endif()
    foreach(name IN LISTS second_names)
      string(REGEX REPLACE "^`|`$" "" name "${name}")
      list(APPEND missing "${torch_prefix}${name}")
      set("missing_line_${torch_prefix}${name}" ${line_no})
    endforeach()
    continue()
  endif()
  if(NOT first_names)
    continue()  # a header row
  endif()
  foreach(name IN LISTS first_names)
    string(REGEX REPLACE "^`(ember::)?|(\\(\\))?`$" "" name "${name}")
    list(APPEND mentioned "${name}")
    if(NOT name IN_LIST known)
      problem("api.md:${line_no}: `${name}` is not declared in ember's public headers (renamed or removed?): update the row")
    endif()
  endforeach()
  foreach(name IN LISTS second_names)
    string(REGEX REPLACE "^`|`$" "" name "${name}")
    if(name MATCHES "^torch\\.")
      list(APPEND covered "${name}")
      set("covered_line_${name}" ${line_no})
    endif()
  endforeach()
endforeach()

# ---- 4. the checks ------------------------------------------------------------------------------
foreach(key IN LISTS required)
  if(NOT key IN_LIST mentioned)
    if(DEFINED "class_file_${key}")
      set(file "${class_file_${key}}")
      set(what "class")
    else()
      set(file "${func_file_${key}}")
      set(what "function")
    endif()
    problem("${file}: ${what} `${key}` is not in docs/api.md: add a row (ember name, PyTorch counterpart, differences)")
  endif()
endforeach()

set(torch_all "")
foreach(name IN LISTS TORCH_NN)
  list(APPEND torch_all "torch.nn.${name}")
endforeach()
foreach(name IN LISTS TORCH_OPTIM)
  list(APPEND torch_all "torch.optim.${name}")
endforeach()
foreach(name IN LISTS TORCH_LR_SCHEDULER)
  list(APPEND torch_all "torch.optim.lr_scheduler.${name}")
endforeach()
foreach(name IN LISTS torch_all)
  if(NOT name IN_LIST covered AND NOT name IN_LIST missing)
    problem("api.md: `${name}` is neither an ember row's counterpart nor under \"Not in ember yet\"")
  endif()
endforeach()
foreach(name IN LISTS missing)
  set(at "api.md:${missing_line_${name}}")
  if(NOT name IN_LIST torch_all)
    problem("${at}: `${name}` under \"Not in ember yet\" is not a PyTorch 1.13 torch.nn / torch.optim class (a typo?)")
  endif()
  if(name IN_LIST covered)
    problem("${at}: `${name}` is under \"Not in ember yet\" and also the counterpart of an ember row (api.md:${covered_line_${name}})")
  endif()
  string(REGEX REPLACE ".*\\." "" simple "${name}")
  if(name MATCHES "^torch\\.nn\\.")
    set(ember_name "nn::${simple}")
  else()
    set(ember_name "optim::${simple}")
  endif()
  if(ember_name IN_LIST known)
    problem("${at}: `${name}` is under \"Not in ember yet\", but ember now has `${ember_name}`: move it to its table")
  endif()
endforeach()

list(LENGTH required nrequired)
list(LENGTH headers nheaders)
if(problems)
  message(FATAL_ERROR "docs/api.md does not match the public headers:\n${problems}")
endif()
message(STATUS "docs/api.md lists all ${nrequired} public names of ${nheaders} headers, and no stale ones")
