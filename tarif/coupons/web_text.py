"""The words of the coupon pages and their French text. Messages from the services stay in
English (see docs/back-office.md)."""

from __future__ import annotations

KIND_LABELS = {"percentage": "Percentage", "fixed": "Amount off"}
DURATION_LABELS = {"once": "Once", "repeating": "Repeating", "forever": "Forever"}
REDEMPTION_LABELS = {"active": "Active", "used_up": "Used up", "removed": "Removed"}

FRENCH = {
    "Coupons": "Coupons",
    "Coupon": "Coupon",
    "New coupon": "Nouveau coupon",
    "Code": "Code",
    "Name": "Nom",
    "Kind": "Type",
    "Value": "Valeur",
    "Currency": "Devise",
    "Duration": "Durée",
    "Months": "Mois",
    "Redeemable from": "Utilisable à partir du",
    "Redeemable until": "Utilisable jusqu'au",
    "Limit": "Limite",
    "Redemptions": "Utilisations",
    "Percentage": "Pourcentage",
    "Amount off": "Montant déduit",
    "Once": "Une fois",
    "Repeating": "Plusieurs mois",
    "Forever": "Toujours",
    "Active": "Actif",
    "Used up": "Épuisé",
    "Removed": "Retiré",
    "Archived": "Archivé",
    "Archive": "Archiver",
    "Create": "Créer",
    "Save": "Enregistrer",
    "Redeem": "Appliquer",
    "Remove": "Retirer",
    "Redeem a coupon": "Appliquer un coupon",
    "Coupon code": "Code du coupon",
    "Redeemed on": "Appliqué le",
    "Ends on": "Fin le",
    "Contract": "Contrat",
    "Status": "Statut",
    "No coupon yet.": "Aucun coupon pour l'instant.",
    "No coupon on this contract.": "Aucun coupon sur ce contrat.",
    "Unlimited": "Illimité",
    "Required for an amount off": "Obligatoire pour un montant déduit",
    "Required for a repeating coupon": "Obligatoire pour un coupon sur plusieurs mois",
    "Coupons of the contract": "Coupons du contrat",
    "All coupons": "Tous les coupons",
}
