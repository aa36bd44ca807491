import Testing
@testable import ValonKit

/// The one interface-name rule (the kernel's `dev_valid_name()`), and the config files that
/// use it.
@Suite("interface names")
struct WireGuardInterfaceNameTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var valid: Bool
        var why: String
        var testDescription: String { "\(why): \(valid ? "valid" : "refused")" }
    }

    static let cases: [Case] = [
        Case(name: "wg0", valid: true, why: "plain"),
        Case(name: "valon-office_1", valid: true, why: "'-' and '_'"),
        Case(name: "a23456789012345", valid: true, why: "15 bytes"),
        Case(name: "a234567890123456", valid: false, why: "16 bytes (IFNAMSIZ)"),
        Case(name: "", valid: false, why: "empty"),
        Case(name: ".", valid: false, why: "\".\""),
        Case(name: "..", valid: false, why: "\"..\""),
        Case(name: "...", valid: true, why: "\"...\""),
        Case(name: "a/b", valid: false, why: "'/'"),
        Case(name: "a:1", valid: false, why: "':' (an alias label)"),
        Case(name: "a b", valid: false, why: "space"),
        Case(name: "a\tb", valid: false, why: "tab"),
        Case(name: "a\nb", valid: false, why: "newline"),
        Case(name: "a\u{0}b", valid: false, why: "NUL"),
        Case(name: "a\u{1}b", valid: false, why: "a control character"),
        Case(name: "a\u{7f}b", valid: false, why: "DEL"),
        Case(name: "wgé", valid: true, why: "UTF-8 é (C3 A9): bytes >= 0x80 are allowed"),
        Case(name: "wg\u{1F512}", valid: true, why: "a 4-byte UTF-8 character"),
        Case(name: "wgà", valid: false, why: "UTF-8 à (C3 A0): 0xA0 is isspace() in the kernel"),
        Case(name: "wg\u{A0}", valid: false, why: "U+00A0 (C2 A0)"),
        Case(name: "ééééééé", valid: true, why: "14 bytes of 7 characters"),
        Case(name: "éééééééé", valid: false, why: "16 bytes of 8 characters"),
    ]

    @Test(arguments: cases)
    func rule(_ testCase: Case) {
        #expect(WireGuardInterfaceName.isValid(testCase.name) == testCase.valid)
    }

    @Test("client.conf's WG_INTERFACE follows the same rule", arguments: cases.filter { !$0.name.contains("\n") && !$0.name.isEmpty })
    func clientConfig(_ testCase: Case) {
        let text = """
        WG_INTERFACE="\(testCase.name)"
        DISCOVERY_PUBKEY="xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="
        DISCOVERY_ENDPOINT=192.168.1.100:51820
        OWN_WG_IP=100.100.0.2
        """
        let config = try? ClientConfig(parsing: text, file: "client.conf")
        #expect((config?.interface == testCase.name) == testCase.valid)
    }
}
