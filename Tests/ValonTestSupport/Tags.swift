import Testing

/// What a suite needs beyond the test process, so that the pure suites can run alone.
///
/// Every suite with one of these tags also follows a naming rule, because `swift test`
/// (Swift 6.3) selects tests by a regular expression over their IDs
/// (`Module.Type/function(…)`), not by tag: the type of a `.process` suite ends in
/// `ProcessTests`, the type of a `.root` suite in `RootTests`. The pure suites, as any user:
///
///     swift test --skip 'ProcessTests|RootTests'
///
/// A suite that needs neither tag may still bind loopback sockets, write temporary files
/// and run servers inside the test process.
extension Tag {
    /// Starts a process: etcd, NSD, wireguard-go, `dig`, `curl`, `wg`, `etcdctl`, a built
    /// executable, the VM. Such a suite also has a `.timeLimit`.
    @Tag public static var process: Self
    /// Needs root: network namespaces, TUN devices (wireguard-go), `setpriv`, netlink changes.
    @Tag public static var root: Self
}
