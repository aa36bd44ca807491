/// The one rule for a network interface name, as the kernel's `dev_valid_name()` applies
/// it (`net/core/dev.c`): 1–15 bytes (`IFNAMSIZ - 1`, `<linux/if.h>`), not `.` or `..`,
/// and no `/`, `:` or byte the kernel's `isspace()` accepts (tab, newline, vertical tab,
/// form feed, carriage return, space and, in the kernel's Latin-1 ctype table, 0xA0).
///
/// Other bytes ≥ 0x80 are allowed, as the kernel allows them (`wgé` is a valid name, `wgà`
/// is not: its UTF-8 ends in 0xA0). Stricter than the kernel: NUL, the other control
/// characters and DEL are refused too, because a name also becomes a file name, a line of
/// a shell assignment file and part of a log message.
public enum WireGuardInterfaceName {
    /// The longest name: `IFNAMSIZ - 1` bytes (`<linux/if.h>`).
    public static let maximumLength = 15

    /// Whether `name` is a valid interface name (see ``WireGuardInterfaceName``).
    public static func isValid(_ name: String) -> Bool {
        let utf8 = name.utf8
        guard (1...maximumLength).contains(utf8.count), name != ".", name != ".." else { return false }
        return utf8.allSatisfy(isAllowed)
    }

    private static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x00...0x20, 0x7f, 0xa0: false  // controls, space (isspace), DEL, Latin-1 NBSP (isspace)
        case UInt8(ascii: "/"), UInt8(ascii: ":"): false
        default: true
        }
    }

    /// Throws ``WireGuardError/Code/invalidArgument`` unless `name` is valid.
    package static func validate(_ name: String, operation: String) throws(WireGuardError) {
        guard isValid(name) else {
            throw WireGuardError(.invalidArgument, operation: operation, device: name,
                                 "not a valid interface name (1-15 bytes, no '/', ':' or white space)")
        }
    }
}
