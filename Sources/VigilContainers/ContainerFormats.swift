/// The container formats Vigil knows, in the order the walker asks them.
public enum ContainerFormats {
    /// Every built-in format. Adapters for further formats (MSI, DMG) are added to this list.
    public static let builtIn: [any ContainerFormat] = [MSIContainer(), DiskImageContainer(), ArchiveContainer()]
}
