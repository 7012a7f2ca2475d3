# bench/serialize_bench: ember::save / ember::load of 100M float32 parameters, compared with
# torch.save / torch.load by bench/serialize_bench.py. Include from bench/CMakeLists.txt.
add_executable(serialize_bench ${CMAKE_CURRENT_LIST_DIR}/serialize_bench.cpp)
target_link_libraries(serialize_bench PRIVATE ember)
