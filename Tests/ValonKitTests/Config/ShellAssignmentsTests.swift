import Testing
@testable import ValonKit

@Suite("client.conf shell syntax")
struct ShellAssignmentsTests {
    @Test("values as the shell reads them", arguments: [
        ("A=plain", "plain"),
        ("A=\"double quoted\"", "double quoted"),
        ("A='single $NOT expanded'", "single $NOT expanded"),
        ("export A=exported", "exported"),
        ("A=", ""),
        ("A=value # trailing comment", "value"),
        ("A=\"with \\\"escapes\\\" and \\$dollar\"", "with \"escapes\" and $dollar"),
        ("A=con\"cat\"'enated'", "concatenated"),
        ("  A=indented", "indented"),
        ("A=crlf\r", "crlf"),
    ])
    func values(_ line: String, _ expected: String) throws {
        let parsed = try ShellAssignments.parse(line, file: "t.conf")
        #expect(parsed.map(\.value) == [expected])
        #expect(parsed.first?.key == "A")
    }

    @Test("earlier keys expand in later values")
    func expansion() throws {
        let text = """
        WG_INTERFACE=wg7
        PRIVATE_KEY_FILE=/etc/wireguard/${WG_INTERFACE}.key
        OTHER="$WG_INTERFACE-x"
        UNSET=${NOPE}
        """
        let parsed = try ShellAssignments.parse(text, file: "t.conf")
        #expect(parsed.map(\.value) == ["wg7", "/etc/wireguard/wg7.key", "wg7-x", ""])
        #expect(parsed.map(\.line) == [1, 2, 3, 4])
    }

    @Test("unsupported shell is refused with the line", arguments: [
        ("A=$(cat /etc/passwd)", 1), ("\nA=`id`", 2), ("A=two words", 1), ("A=\"open", 1),
        ("\n\nnot an assignment", 3), ("1A=x", 1), ("A=x; rm -rf /", 1), ("A='open", 1),
    ])
    func refused(_ text: String, _ line: Int) {
        do {
            _ = try ShellAssignments.parse(text, file: "t.conf")
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.code == .syntax)
            #expect(error.line == line)
            #expect(error.description.hasPrefix("t.conf:\(line)"))
        }
    }
}
