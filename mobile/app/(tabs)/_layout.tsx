import { Tabs } from "expo-router";
import { Text, type ColorValue } from "react-native";

import { colors } from "../../src/ui/theme";

const icon = (glyph: string) =>
  function TabIcon({ color }: { color: ColorValue }) {
    return (
      <Text style={{ color, fontSize: 18 }} accessibilityElementsHidden importantForAccessibility="no">
        {glyph}
      </Text>
    );
  };

export default function TabsLayout() {
  return (
    <Tabs
      screenOptions={{
        headerStyle: { backgroundColor: colors.brand },
        headerTintColor: "#fff",
        tabBarActiveTintColor: colors.brand,
      }}
    >
      <Tabs.Screen name="index" options={{ title: "Início", tabBarAccessibilityLabel: "Início", tabBarButtonTestID: "tab-inicio", tabBarIcon: icon("⌂") }} />
      <Tabs.Screen name="pix" options={{ title: "Pix", tabBarAccessibilityLabel: "Pix", tabBarButtonTestID: "tab-pix", tabBarIcon: icon("⇄") }} />
      <Tabs.Screen name="credito" options={{ title: "Crédito", tabBarAccessibilityLabel: "Crédito", tabBarButtonTestID: "tab-credito", tabBarIcon: icon("★") }} />
      <Tabs.Screen name="ofertas" options={{ title: "Ofertas", tabBarAccessibilityLabel: "Ofertas", tabBarButtonTestID: "tab-ofertas", tabBarIcon: icon("✦") }} />
      <Tabs.Screen name="mais" options={{ title: "Mais", tabBarAccessibilityLabel: "Mais opções", tabBarButtonTestID: "tab-mais", tabBarIcon: icon("≡") }} />
    </Tabs>
  );
}
