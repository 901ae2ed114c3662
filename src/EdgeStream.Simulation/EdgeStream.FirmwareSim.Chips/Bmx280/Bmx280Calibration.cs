namespace EdgeStream.FirmwareSim.Chips.Bmx280;

/// <summary>
/// The trimming parameters a BMP280/BME280 stores in NVM (datasheet §4.2.2, register 0x88…0xA1 and 0xE1…0xE7).
/// </summary>
public sealed record Bmx280Calibration(
    ushort T1, short T2, short T3,
    ushort P1, short P2, short P3, short P4, short P5, short P6, short P7, short P8, short P9,
    byte H1 = 0, short H2 = 0, byte H3 = 0, short H4 = 0, short H5 = 0, sbyte H6 = 0)
{
    /// <summary>
    /// The worked example of the BMP280 datasheet (BST-BMP280-DS001, §3.11.3, Table 16) for temperature and pressure,
    /// with humidity trimming read from a production BME280 (the datasheet gives no humidity example).
    /// </summary>
    public static Bmx280Calibration Datasheet { get; } = new(
        27504, 26435, -1000,
        36477, -10685, 3024, 2855, 140, -7, 15500, -14600, 6000,
        H1: 75, H2: 362, H3: 0, H4: 313, H5: 50, H6: 30);
}
