/// ValonKit is the system edge of VALON: sockets, the DNS resolver, libcurl and the etcd
/// client, libmnl and netlink, the WireGuard backends, processes and files, and the
/// client's and administrator's operations over them (docs/ARCHITECTURE.md §2).
///
/// The pure parts (codecs, the registry model, the sync planner, config parsing, the
/// WireGuard device model) are in ValonCore, which links no C module. ValonKit re-exports
/// it here, so `import ValonKit` gives both.
@_exported import ValonCore
