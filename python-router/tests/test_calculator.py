import unittest

from ai_router.calculator import CalculationError, calculate, format_number, looks_like_arithmetic


def value(text: str) -> str:
    return calculate(text).formatted()


class CalculatorTest(unittest.TestCase):
    def test_symbols_and_precedence(self) -> None:
        cases = {
            "2 + 3 * 4": "14", "(2 + 3) * 4": "20", "10 - 4 - 3": "3", "2 ^ 3 ^ 2": "512",
            "-2^2": "-4", "(-2)^2": "4", "2^-1": "0.5", "7 / 2": "3.5", "3 - -2": "5",
            "7 × 6": "42", "9 ÷ 3": "3", "2 ** 5": "32", "2(3 + 4)": "14", "((((1))))": "1",
        }
        for text, expected in cases.items():
            with self.subTest(text=text):
                self.assertEqual(expected, value(text))

    def test_words(self) -> None:
        cases = {
            "what is 12 times 7?": "84", "3 plus 4": "7", "45 minus 17": "28", "7 divided by 2": "3.5",
            "6 multiplied by 7": "42", "2 to the power of 10": "1024", "9 squared": "81", "2 cubed": "8",
            "square root of 81": "9", "add 13 and 29": "42", "subtract 5 from 20": "15",
            "multiply 6 by 9": "54", "divide 100 by 8": "12.5", "17 mod 5": "2", "17 modulo 5": "2",
            "what's the remainder of 17 divided by 5": "2", "3 x 4": "12",
        }
        for text, expected in cases.items():
            with self.subTest(text=text):
                self.assertEqual(expected, value(text))

    def test_decimals_and_rounding(self) -> None:
        self.assertEqual("0.3", value("0.1 + 0.2"))
        self.assertEqual("0.3333333333", value("1/3"))
        self.assertEqual("4.75", value("3.5 + 1.25"))
        self.assertEqual("0.75", value(".5 + .25"))
        self.assertEqual("3000", value("1,000 * 3"))

    def test_percent(self) -> None:
        self.assertEqual("36", value("15% of 240"))
        self.assertEqual("36", value("what is 15 percent of 240?"))
        self.assertEqual("6", value("12% of 50"))
        self.assertEqual("0.5", value("50%"))

    def test_percent_sign_between_numbers_is_modulo(self) -> None:
        self.assertEqual("1", value("10 % 3"))
        self.assertEqual("2", value("17 % (3 + 2)"))

    def test_remainder_takes_the_sign_of_the_dividend(self) -> None:
        self.assertEqual("-2", value("-17 mod 5"))

    def test_division_by_zero_is_answered_kindly(self) -> None:
        for text in ("1/0", "5 divided by 0", "7 mod 0", "0 ^ -1", "3 / (2 - 2)"):
            with self.subTest(text=text):
                with self.assertRaises(CalculationError) as caught:
                    calculate(text)
                self.assertIn("zero", str(caught.exception).lower())
                self.assertFalse(caught.exception.syntax)

    def test_nonsense_is_a_kind_syntax_error(self) -> None:
        for text in ("what is banana", "2 +", "(2 + 3", "2 + * 3", "* 4", ")"):
            with self.subTest(text=text):
                with self.assertRaises(CalculationError) as caught:
                    calculate(text)
                self.assertTrue(caught.exception.syntax)
                self.assertNotIn("Traceback", str(caught.exception))

    def test_out_of_range_results(self) -> None:
        for text in ("10^10^10", "9^999", "(-8)^0.5", "square root of -4"):
            with self.subTest(text=text):
                with self.assertRaises(CalculationError):
                    calculate(text)

    def test_limits_on_size_and_nesting(self) -> None:
        with self.assertRaises(CalculationError):
            calculate("(" * 60 + "1" + ")" * 60)
        with self.assertRaises(CalculationError):
            calculate(" + ".join(["1"] * 150))

    def test_never_evaluates_python(self) -> None:
        for text in ("__import__('os').system('true')", "().__class__", "1 if True else 2", "lambda: 1"):
            with self.subTest(text=text):
                try:
                    result = calculate(text)
                except CalculationError:
                    continue
                self.assertIsInstance(result.value, float)

    def test_recognises_plain_arithmetic_only(self) -> None:
        for text in ("2+2", "what is 7 × 6?", "15% of 240", "calculate 2^8", "1/0", "what's 10 divided by 4"):
            with self.subTest(text=text):
                self.assertTrue(looks_like_arithmetic(text))
        for text in ("what is the capital of France?", "I have 2 cats and 3 dogs", "what time is it",
                     "version 2.0 - release notes", "call me at 5", "hello"):
            with self.subTest(text=text):
                self.assertFalse(looks_like_arithmetic(text))

    def test_expression_is_shown_back(self) -> None:
        self.assertEqual("15% of 240", calculate("what is 15% of 240?").expression)
        self.assertEqual("(2 + 3) × 4", calculate("(2+3)*4").expression)

    def test_format_number(self) -> None:
        self.assertEqual("84", format_number(84.0))
        self.assertEqual("0", format_number(-0.0))
        self.assertEqual("1e+20", format_number(1e20))
        self.assertEqual("-2.5", format_number(-2.5))


if __name__ == "__main__":
    unittest.main()
