/work/main/kmod/.ipmp_dev.o.d: /work/main/build/src/linux-6.12.117-1_deb12u1/.clippy.toml /work/main/kmod/ipmp_dev.rs /work/main/kmod/binding.rs /work/main/kmod/bindings.rs /work/main/kmod/flowtab.rs /work/main/kmod/frames.rs /work/main/kmod/genl.rs /work/main/kmod/group.rs /work/main/kmod/link.rs /work/main/kmod/netdev.rs /work/main/kmod/notifier.rs /work/main/kmod/policy.rs /work/main/kmod/rcu.rs /work/main/kmod/rtnl.rs /work/main/kmod/rx.rs /work/main/kmod/skb.rs /work/main/kmod/table.rs /work/main/kmod/uapi.rs /work/main/kmod/work.rs /work/main/kmod/xmit.rs /work/main/kmod/bindings_generated.rs ./rust/libcore.rmeta ./rust/libkernel.rmeta ./rust/libffi.rmeta ./rust/libcompiler_builtins.rmeta ./rust/libmacros.so ./rust/libbindings.rmeta ./rust/libuapi.rmeta ./rust/libbuild_error.rmeta

/work/main/kmod/ipmp_dev.o: /work/main/build/src/linux-6.12.117-1_deb12u1/.clippy.toml /work/main/kmod/ipmp_dev.rs /work/main/kmod/binding.rs /work/main/kmod/bindings.rs /work/main/kmod/flowtab.rs /work/main/kmod/frames.rs /work/main/kmod/genl.rs /work/main/kmod/group.rs /work/main/kmod/link.rs /work/main/kmod/netdev.rs /work/main/kmod/notifier.rs /work/main/kmod/policy.rs /work/main/kmod/rcu.rs /work/main/kmod/rtnl.rs /work/main/kmod/rx.rs /work/main/kmod/skb.rs /work/main/kmod/table.rs /work/main/kmod/uapi.rs /work/main/kmod/work.rs /work/main/kmod/xmit.rs /work/main/kmod/bindings_generated.rs ./rust/libcore.rmeta ./rust/libkernel.rmeta ./rust/libffi.rmeta ./rust/libcompiler_builtins.rmeta ./rust/libmacros.so ./rust/libbindings.rmeta ./rust/libuapi.rmeta ./rust/libbuild_error.rmeta

/work/main/build/src/linux-6.12.117-1_deb12u1/.clippy.toml:
/work/main/kmod/ipmp_dev.rs:
/work/main/kmod/binding.rs:
/work/main/kmod/bindings.rs:
/work/main/kmod/flowtab.rs:
/work/main/kmod/frames.rs:
/work/main/kmod/genl.rs:
/work/main/kmod/group.rs:
/work/main/kmod/link.rs:
/work/main/kmod/netdev.rs:
/work/main/kmod/notifier.rs:
/work/main/kmod/policy.rs:
/work/main/kmod/rcu.rs:
/work/main/kmod/rtnl.rs:
/work/main/kmod/rx.rs:
/work/main/kmod/skb.rs:
/work/main/kmod/table.rs:
/work/main/kmod/uapi.rs:
/work/main/kmod/work.rs:
/work/main/kmod/xmit.rs:
/work/main/kmod/bindings_generated.rs:
./rust/libcore.rmeta:
./rust/libkernel.rmeta:
./rust/libffi.rmeta:
./rust/libcompiler_builtins.rmeta:
./rust/libmacros.so:
./rust/libbindings.rmeta:
./rust/libuapi.rmeta:
./rust/libbuild_error.rmeta:

# env-dep:CLIPPY_ARGS
# env-dep:CLIPPY_CONF_DIR=/work/main/build/src/linux-6.12.117-1_deb12u1
