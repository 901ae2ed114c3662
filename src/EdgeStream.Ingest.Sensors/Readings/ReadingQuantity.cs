using System.Collections.Concurrent;
using System.Globalization;
using UnitsNet;

namespace EdgeStream.Ingest.Sensors.Readings;

/// <summary>One measured quantity of a reading: name, value and unit abbreviation (<c>°C</c>, <c>Pa</c>, <c>%RH</c>).</summary>
internal readonly record struct ReadingQuantity(string Name, double Value, string Unit)
{
    private static readonly ConcurrentDictionary<Enum, string> Abbreviations = new();

    /// <summary>The quantity as the binding returned it, in the binding's unit.</summary>
    public static ReadingQuantity From(string name, IQuantity quantity)
    {
        string unit = Abbreviations.GetOrAdd(quantity.Unit, static (_, q) => q.ToString("a", CultureInfo.InvariantCulture), quantity);
        return new ReadingQuantity(name, (double)quantity.Value, unit);
    }
}
