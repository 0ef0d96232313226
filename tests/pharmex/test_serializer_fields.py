"""Serializer fields built once per class (pharmex.api.serializers.FieldsBuiltOnce): each instance still gets its
own bound fields, so nothing one render or validation does reaches another."""

from __future__ import annotations

from rest_framework import serializers

from pharmex.api.serializers import OutputSerializer, StrictInputSerializer


class PartOutput(OutputSerializer):
    name = serializers.CharField()
    greeting = serializers.SerializerMethodField()

    def get_greeting(self, part) -> str:
        return f"{self.context['salutation']} {part['name']}"


class WholeOutput(OutputSerializer):
    title = serializers.CharField()
    parts = PartOutput(many=True)


class LineInput(StrictInputSerializer):
    quantity = serializers.IntegerField(min_value=1)


class CartInput(StrictInputSerializer):
    lines = LineInput(many=True)
    note = serializers.CharField(required=False, default="")


def test_each_instance_binds_its_own_copies_of_fields_built_once():
    first, second = WholeOutput({"title": "a", "parts": []}), WholeOutput({"title": "b", "parts": []})

    first_fields, second_fields = first.fields, second.fields
    built = WholeOutput.__dict__["_built_fields"]
    assert first_fields["title"] is not second_fields["title"]
    assert first_fields["title"].parent is first and second_fields["title"].parent is second
    assert built["title"] is not first_fields["title"] and built["title"].parent is None
    assert first_fields["parts"] is not second_fields["parts"]
    assert first_fields["parts"].child is not second_fields["parts"].child


def test_nested_fields_read_their_own_renders_context():
    data = {"title": "订单", "parts": [{"name": "甲"}, {"name": "乙"}]}

    polite = WholeOutput(data, context={"salutation": "尊敬的"}).data
    plain = WholeOutput(data, context={"salutation": "你好"}).data

    assert [part["greeting"] for part in polite["parts"]] == ["尊敬的 甲", "尊敬的 乙"]
    assert [part["greeting"] for part in plain["parts"]] == ["你好 甲", "你好 乙"]


def test_validation_of_one_instance_leaves_the_next_untouched():
    refused = CartInput(data={"lines": [{"quantity": 0}], "note": "x"})
    assert not refused.is_valid()
    assert refused.errors["lines"][0]["quantity"][0].code == "min_value"

    accepted = CartInput(data={"lines": [{"quantity": 2}]})
    assert accepted.is_valid(), accepted.errors
    assert accepted.validated_data == {"lines": [{"quantity": 2}], "note": ""}
    assert not CartInput(data={"lines": [{"quantity": 1}], "extra": 1}).is_valid()
