"""The delivery note (随货同行单, SPEC §5): what travels with the goods, with the fields GSP requires the buyer
to check them against at goods-in (入库验收) — as JSON and as a PDF."""

from __future__ import annotations

from django.utils import timezone

from catalog.choices import DosageForm, Storage
from orders.models import Shipment
from pharmex import pdf
from pharmex.money import line_amounts, money_sum

QUALITY_STAMP = "（供货单位质量管理专用章）"


def delivery_note(shipment: Shipment) -> dict:
    """The note's fields: parties, shipment, one row per shipped lot — the parties and the drug facts as the order
    recorded them at placement, so a later change of master data never changes a note."""
    order = shipment.order
    lines = []
    for item in shipment.lines.all():
        line, drug = item.order_line, item.drug
        amount = line_amounts(unit_price=line.unit_price, quantity=item.quantity, vat_rate=line.vat_rate)[0]
        lines.append(
            {
                "generic_name": line.drug_name,
                "brand_name": line.brand_name,
                "dosage_form": _label(DosageForm, line.dosage_form),
                "specification": line.specification,
                "package": line.package,
                "manufacturer": line.manufacturer_name,
                "marketing_authorization_holder": line.mah_name,
                "approval_number": line.approval_number,
                "lot_number": item.lot_number,
                "expiry_date": item.expiry_date,
                "quantity": item.quantity,
                "unit": line.sale_unit,
                "unit_price": line.unit_price,
                "amount": amount,
                "storage": _label(Storage, drug.storage),  # how to keep it: the drug's label, not a sales record
            }
        )
    return {
        "number": f"{order.number}-{shipment.sequence}",
        "order_number": order.number,
        "shipped_on": timezone.localdate(shipment.created_at),
        "supplier": {"name": order.supplier_name, "license_number": order.supplier_license_number},
        "buyer": {"name": order.buyer_name, "license_number": order.buyer_license_number},
        "carrier": shipment.carrier,
        "tracking_number": shipment.tracking_number,
        "invoice_numbers": shipment.invoice_numbers,
        "lines": lines,
        "total_amount": money_sum(line["amount"] for line in lines),
        "quality_stamp": QUALITY_STAMP,
    }


def _label(choices, value: str) -> str:
    return choices(value).label if value in choices.values else value


def delivery_note_pdf(note: dict) -> bytes:
    header = [
        "通用名称",
        "剂型",
        "规格",
        "生产企业 / 上市许可持有人",
        "批准文号",
        "批号",
        "有效期至",
        "数量",
        "单位",
        "单价",
        "金额",
    ]
    rows = [
        [
            line["generic_name"] + (f"（{line['brand_name']}）" if line["brand_name"] else ""),
            line["dosage_form"],
            line["specification"],
            line["manufacturer"]
            + (f" / {line['marketing_authorization_holder']}" if line["marketing_authorization_holder"] else ""),
            line["approval_number"],
            line["lot_number"],
            line["expiry_date"].isoformat(),
            str(line["quantity"]),
            line["unit"],
            str(line["unit_price"]),
            str(line["amount"]),
        ]
        for line in note["lines"]
    ]
    return pdf.table_document(
        title="随货同行单",
        facts=[
            ("单号", note["number"]),
            ("订单号", note["order_number"]),
            ("发货日期", note["shipped_on"].isoformat()),
            ("供货单位", note["supplier"]["name"]),
            ("许可证号", note["supplier"]["license_number"]),
            ("承运商", note["carrier"]),
            ("购货单位", note["buyer"]["name"]),
            ("许可证号", note["buyer"]["license_number"]),
            ("运单号", note["tracking_number"]),
            ("发票号", "、".join(note["invoice_numbers"])),
        ],
        header=header,
        rows=rows,
        footer=[("合计金额（元）", str(note["total_amount"])), ("供货单位质量管理专用章", note["quality_stamp"])],
    )
