/// Checks of a network interface name, as the kernel's `dev_valid_name()` applies them.
public enum WireGuardInterfaceName {
    /// The longest name: `IFNAMSIZ - 1` bytes (`<linux/if.h>`).
    public static let maximumLength = 15

    /// Whether `name` is a valid interface name: 1–15 bytes, not `.` or `..`, and no `/`,
    /// `:`, white space or control character.
    public static func isValid(_ name: String) -> Bool {
        let utf8 = name.utf8
        guard (1...maximumLength).contains(utf8.count), name != ".", name != ".." else { return false }
        return utf8.allSatisfy { $0 > 0x20 && $0 != 0x7f && $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: ":") }
    }

    /// Throws ``WireGuardError/Code/invalidArgument`` unless `name` is valid.
    static func validate(_ name: String, operation: String) throws(WireGuardError) {
        guard isValid(name) else {
            throw WireGuardError(.invalidArgument, operation: operation, device: name,
                                 "not a valid interface name (1-15 bytes, no '/', ':' or white space)")
        }
    }
}
