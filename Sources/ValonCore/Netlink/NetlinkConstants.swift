/// Numeric constants of the netlink protocols ValonKit speaks, as plain Swift values so
/// that message encoding stays pure (no C module). Each group cites the kernel UAPI header
/// it comes from; `NetlinkConstantsTests` checks every value against those headers.
public enum Netlink {
    /// `<linux/netlink.h>`: protocol numbers for `socket(AF_NETLINK, SOCK_RAW, …)`.
    public enum Bus {
        public static let route: Int32 = 0          // NETLINK_ROUTE
        public static let generic: Int32 = 16       // NETLINK_GENERIC
    }

    /// `<linux/netlink.h>`: `nlmsghdr.nlmsg_flags`.
    public enum Flag {
        public static let request: UInt16 = 0x1     // NLM_F_REQUEST
        public static let multi: UInt16 = 0x2       // NLM_F_MULTI
        public static let ack: UInt16 = 0x4         // NLM_F_ACK
        public static let dumpInterrupted: UInt16 = 0x10  // NLM_F_DUMP_INTR
        public static let dump: UInt16 = 0x300      // NLM_F_ROOT | NLM_F_MATCH
        public static let replace: UInt16 = 0x100   // NLM_F_REPLACE
        public static let exclusive: UInt16 = 0x200 // NLM_F_EXCL
        public static let create: UInt16 = 0x400    // NLM_F_CREATE
    }

    /// `<linux/netlink.h>`: control message types.
    public enum MessageType {
        public static let noop: UInt16 = 1          // NLMSG_NOOP
        public static let error: UInt16 = 2         // NLMSG_ERROR
        public static let done: UInt16 = 3          // NLMSG_DONE
        public static let overrun: UInt16 = 4       // NLMSG_OVERRUN
    }

    /// `<linux/netlink.h>`: attribute type bits.
    public enum AttributeFlag {
        public static let nested: UInt16 = 0x8000       // NLA_F_NESTED
        public static let networkByteOrder: UInt16 = 0x4000  // NLA_F_NET_BYTEORDER
        public static let typeMask: UInt16 = 0x3fff     // NLA_TYPE_MASK
    }

    /// `<sys/socket.h>`: address families used in netlink payloads.
    public enum Family {
        public static let unspecified: UInt8 = 0    // AF_UNSPEC
        public static let inet: UInt8 = 2           // AF_INET
        public static let inet6: UInt8 = 10         // AF_INET6
    }

    /// The size of `struct nlmsghdr`.
    public static let headerSize = 16
    /// `NLMSG_ALIGNTO` and `NLA_ALIGNTO`.
    public static let alignment = 4

    /// Rounds `length` up to the netlink alignment (`NLMSG_ALIGN`, `NLA_ALIGN`).
    @inlinable
    public static func aligned(_ length: Int) -> Int { (length + alignment - 1) & ~(alignment - 1) }
}
