namespace DiffPrune.Data.Scenes;

/// <summary>Object sizes: small covers exactly one patch; large is two patches wide, centred on a patch.</summary>
public enum ObjectSize
{
    /// <summary>One patch (8×8 px by default), aligned with the patch grid.</summary>
    Small,
    /// <summary>Two patches wide (16×16 px by default), centred on the centre of one patch (which holds its digit, if any).</summary>
    Large,
}
