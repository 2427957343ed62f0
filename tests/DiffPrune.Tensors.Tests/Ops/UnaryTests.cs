using static DiffPrune.Tensors.Tests.Ops.TestTensors;

namespace DiffPrune.Tensors.Tests.Ops;

/// <summary>Unary elementwise ops: gradients by finite differences, activations against PyTorch values.</summary>
public class UnaryTests
{
    public static TheoryData<string> SmoothOps => new() { "exp", "tanh", "sigmoid", "silu", "gelu", "gelu_tanh", "quick_gelu", "pow3" };

    static Tensor Apply(string op, Tensor x) => op switch
    {
        "exp" => x.Exp(),
        "log" => x.Log(),
        "sqrt" => x.Sqrt(),
        "rsqrt" => x.Rsqrt(),
        "pow2.5" => x.Pow(2.5f),
        "pow-1.5" => x.Pow(-1.5f),
        "pow3" => x.Pow(3f),
        "abs" => x.Abs(),
        "tanh" => x.Tanh(),
        "sigmoid" => x.Sigmoid(),
        "relu" => x.Relu(),
        "silu" => x.Silu(),
        "gelu" => x.Gelu(),
        "gelu_tanh" => x.Gelu(approximateTanh: true),
        "quick_gelu" => x.QuickGelu(),
        _ => throw new ArgumentException(op),
    };

    [Theory]
    [MemberData(nameof(SmoothOps))]
    public void SmoothOpGradientOnAnyInput(string op)
    {
        var x = Leaf(new Generator(21), 3, 5);
        GradCheck.Check(t => Apply(op, t[0]), [x]);
    }

    [Theory]
    [InlineData("log")]
    [InlineData("sqrt")]
    [InlineData("rsqrt")]
    [InlineData("pow2.5")]
    [InlineData("pow-1.5")]
    public void PositiveDomainOpGradient(string op)
    {
        // [0.5, 3): the third derivative stays below ~40, so the O(h²) central-difference error is < 1e-3
        var x = Uniform(new Generator(22), 0.5f, 3f, 3, 5);
        GradCheck.Check(t => Apply(op, t[0]), [x]);
    }

    [Theory]
    [InlineData("relu")]
    [InlineData("abs")]
    public void KinkedOpGradientAwayFromZero(string op)
    {
        // |x| ≥ 0.1 > h = 0.01: no finite-difference step crosses the kink at 0
        var x = AwayFromZero(new Generator(23), 0.1f, 3, 5);
        GradCheck.Check(t => Apply(op, t[0]), [x]);
    }

    [Fact]
    public void KinkSubgradientsAreZeroAtZero()
    {
        var x = Tensor.Zeros(2).RequireGrad();
        x.Relu().Add(x.Abs()).Sum().Backward();
        Assert.Equal([0f, 0f], x.Grad!.ToArray());
    }

    static readonly float[] ActInput = [-3f, -1.5f, -0.5f, -0.1f, 0f, 0.1f, 0.5f, 1f, 2f, 4f];

    // Expected values from PyTorch 1.13 evaluated in float64 for ActInput (torch.nn.functional.gelu with
    // approximate='none' / 'tanh', x·torch.sigmoid(1.702x), torch.nn.functional.silu). PyTorch's own float32 GELU
    // is off by 4e-5 relative at x = −3 (it forms 1 + erf(x/√2), which cancels); the engine uses erfc and is not.
    static readonly float[] GeluExact = [-0.00404969409489031f, -0.10021080190328704f, -0.15426876936299344f, -0.0460172162722971f, 0.0f, 0.053982783727702904f, 0.34573123063700656f, 0.841344746068543f, 1.9544997361036416f, 3.9998733150326675f];
    static readonly float[] GeluTanh = [-0.0036373920817729943f, -0.10042842301976707f, -0.15428599017485606f, -0.04601724895456484f, 0.0f, 0.053982751045435165f, 0.34571400982514394f, 0.8411919906082768f, 1.954597694087775f, 3.9999297540518075f];
    static readonly float[] QuickGelu = [-0.01807130970778597f, -0.10833780155292341f, -0.1496115633936199f, -0.04575524191638182f, 0.0f, 0.054244758083618186f, 0.35038843660638014f, 0.8457957659328212f, 1.9356586231442083f, 3.9955852758604187f];
    static readonly float[] Silu = [-0.14227761953270035f, -0.2736382857095345f, -0.1887703343990727f, -0.047502081252106004f, 0.0f, 0.052497918747894f, 0.3112296656009273f, 0.7310585786300049f, 1.7615941559557646f, 3.928055160151634f];

    [Fact]
    public void GeluExactMatchesPyTorch() => AssertClose(GeluExact, Tensor.FromArray(ActInput, 10).Gelu(), atol: 1e-7, rtol: 2e-6);

    [Fact]
    public void GeluTanhMatchesPyTorch() => AssertClose(GeluTanh, Tensor.FromArray(ActInput, 10).Gelu(approximateTanh: true), atol: 1e-7, rtol: 2e-6);

    [Fact]
    public void QuickGeluMatchesPyTorch() => AssertClose(QuickGelu, Tensor.FromArray(ActInput, 10).QuickGelu(), atol: 1e-7, rtol: 2e-6);

    [Fact]
    public void SiluMatchesPyTorch() => AssertClose(Silu, Tensor.FromArray(ActInput, 10).Silu(), atol: 1e-7, rtol: 2e-6);

    public static TheoryData<string, float[]> ActivationDerivatives => new()
    {
        // d/dx at ActInput: torch.autograd in float64, PyTorch 1.13. Finite differences in float32 cannot resolve
        // derivative errors below ~1e-3; these catch them to 1e-5.
        { "gelu", [-0.01194564720418392f, -0.1274691922299796f, 0.13250487534383712f, 0.4204769079752698f, 0.5f, 0.5795230920247302f, 0.8674951246561629f, 1.0833154705876864f, 1.085231801078197f, 1.0005036496612265f] },
        { "gelu_tanh", [-0.011584166630969648f, -0.12771079315143308f, 0.13263009646535764f, 0.4204782107282433f, 0.5f, 0.5795217892717567f, 0.8673699035346424f, 1.0829640838457826f, 1.0860992566236183f, 1.000335123197122f] },
        { "quick_gelu", [-0.024548323905652352f, -0.09884806462410291f, 0.12077808803458576f, 0.41530908503344544f, 0.5f, 0.5846909149665546f, 0.8792219119654143f, 1.067779606556334f, 1.0738153543085418f, 1.0064018865453552f] },
        { "silu", [-0.08810410601516962f, -0.041294154299142946f, 0.2600388126973482f, 0.4500832085017708f, 0.5f, 0.5499167914982293f, 0.7399611873026519f, 0.9276705118714869f, 1.0907842487848955f, 1.0526646148910728f] },
        { "sigmoid", [0.04517665973091214f, 0.14914645207033286f, 0.2350037122015945f, 0.24937604019289197f, 0.25f, 0.24937604019289197f, 0.2350037122015945f, 0.19661193324148185f, 0.10499358540350662f, 0.017662706213291107f] },
        { "tanh", [0.009866037165440166f, 0.1807066389236486f, 0.7864477329659274f, 0.9900662908474398f, 1.0f, 0.9900662908474398f, 0.7864477329659274f, 0.41997434161402614f, 0.07065082485316443f, 0.0013409506830259165f] },
    };

    [Theory]
    [MemberData(nameof(ActivationDerivatives))]
    public void ActivationDerivativeMatchesPyTorch(string op, float[] expected)
    {
        var x = Tensor.FromArray(ActInput, 10).RequireGrad();
        Apply(op, x).Sum().Backward();
        AssertClose(expected, x.Grad!, atol: 1e-6, rtol: 1e-5);
    }

    [Fact]
    public void ActivationsStayFiniteForLargeInputs()
    {
        var x = Tensor.FromArray([-200f, -90f, 90f, 200f], 4);
        foreach (var y in new[] { x.Silu(), x.QuickGelu(), x.Gelu(), x.Gelu(true), x.Sigmoid() })
        {
            Finite(y);
            Assert.Equal(0f, y.Data[0], 1e-30f);
        }
        AssertClose([-1f, -1f, 1f, 1f], x.Tanh());
        AssertClose([0f, 0f, 90f, 200f], x.Gelu());
        AssertClose([0f, 0f, 90f, 200f], x.Silu());
    }

    [Fact]
    public void ElementaryForwardValues()
    {
        var x = Tensor.FromArray([0.25f, 1f, 4f], 3);
        AssertClose([MathF.Exp(0.25f), MathF.E, MathF.Exp(4f)], x.Exp());
        AssertClose([MathF.Log(0.25f), 0f, MathF.Log(4f)], x.Log());
        AssertClose([0.5f, 1f, 2f], x.Sqrt());
        AssertClose([2f, 1f, 0.5f], x.Rsqrt());
        AssertClose([0.125f, 1f, 8f], x.Pow(1.5f));
        AssertClose([0.25f, 1f, 4f], x.Neg().Abs());
        AssertClose([0f, 0f, 3f], x.Sub(1f).Relu());
    }
}
